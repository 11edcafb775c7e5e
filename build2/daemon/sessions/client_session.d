build2/daemon/sessions/client_session.o: daemon/sessions/client_session.c \
 daemon/base/clock.h daemon/keys/creds.h daemon/config/config.h \
 lib/ktls.h daemon/process/log.h daemon/sessions/client_session.h \
 daemon/engine/job.h daemon/doors/peer_cred.h daemon/engine/config_ref.h \
 lib/ktls_proto.h lib/ktls.h daemon/sessions/client_cache.h \
 daemon/sessions/session_stats.h daemon/sessions/ticket_memory.h
daemon/base/clock.h:
daemon/keys/creds.h:
daemon/config/config.h:
lib/ktls.h:
daemon/process/log.h:
daemon/sessions/client_session.h:
daemon/engine/job.h:
daemon/doors/peer_cred.h:
daemon/engine/config_ref.h:
lib/ktls_proto.h:
lib/ktls.h:
daemon/sessions/client_cache.h:
daemon/sessions/session_stats.h:
daemon/sessions/ticket_memory.h:
