build2/tests/unit/test_worker.o: tests/unit/test_worker.c \
 daemon/engine/handshake.h daemon/engine/job.h daemon/config/config.h \
 lib/ktls.h daemon/doors/peer_cred.h daemon/engine/config_ref.h \
 lib/ktls_proto.h lib/ktls.h daemon/engine/worker.h
daemon/engine/handshake.h:
daemon/engine/job.h:
daemon/config/config.h:
lib/ktls.h:
daemon/doors/peer_cred.h:
daemon/engine/config_ref.h:
lib/ktls_proto.h:
lib/ktls.h:
daemon/engine/worker.h:
