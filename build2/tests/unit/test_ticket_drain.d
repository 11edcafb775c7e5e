build2/tests/unit/test_ticket_drain.o: tests/unit/test_ticket_drain.c \
 daemon/config/config.h lib/ktls.h daemon/keys/creds.h \
 daemon/engine/handshake.h daemon/engine/job.h daemon/doors/peer_cred.h \
 daemon/engine/config_ref.h lib/ktls_proto.h lib/ktls.h \
 daemon/base/clock.h daemon/engine/worker.h tests/unit/unit_files.h
daemon/config/config.h:
lib/ktls.h:
daemon/keys/creds.h:
daemon/engine/handshake.h:
daemon/engine/job.h:
daemon/doors/peer_cred.h:
daemon/engine/config_ref.h:
lib/ktls_proto.h:
lib/ktls.h:
daemon/base/clock.h:
daemon/engine/worker.h:
tests/unit/unit_files.h:
