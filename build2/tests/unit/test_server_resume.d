build2/tests/unit/test_server_resume.o: tests/unit/test_server_resume.c \
 daemon/config/config.h lib/ktls.h daemon/keys/creds.h \
 daemon/engine/handshake.h daemon/engine/job.h daemon/doors/peer_cred.h \
 daemon/engine/config_ref.h lib/ktls_proto.h lib/ktls.h \
 daemon/base/clock.h daemon/sessions/session_db.h \
 daemon/sessions/session_stats.h daemon/sessions/ticket_keys.h \
 tests/unit/unit_files.h
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
daemon/sessions/session_db.h:
daemon/sessions/session_stats.h:
daemon/sessions/ticket_keys.h:
tests/unit/unit_files.h:
