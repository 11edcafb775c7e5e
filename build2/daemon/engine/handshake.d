build2/daemon/engine/handshake.o: daemon/engine/handshake.c \
 daemon/keys/creds.h daemon/config/config.h lib/ktls.h \
 daemon/engine/handshake.h daemon/engine/job.h daemon/doors/peer_cred.h \
 daemon/engine/config_ref.h lib/ktls_proto.h lib/ktls.h \
 daemon/engine/hs_failure.h lib/ktls_gnutls.h lib/ktls_hkdf.h \
 daemon/process/log.h daemon/engine/record_peek.h \
 daemon/sessions/client_session.h daemon/sessions/client_cache.h \
 daemon/sessions/ticket_memory.h daemon/base/clock.h \
 daemon/sessions/server_resume.h
daemon/keys/creds.h:
daemon/config/config.h:
lib/ktls.h:
daemon/engine/handshake.h:
daemon/engine/job.h:
daemon/doors/peer_cred.h:
daemon/engine/config_ref.h:
lib/ktls_proto.h:
lib/ktls.h:
daemon/engine/hs_failure.h:
lib/ktls_gnutls.h:
lib/ktls_hkdf.h:
daemon/process/log.h:
daemon/engine/record_peek.h:
daemon/sessions/client_session.h:
daemon/sessions/client_cache.h:
daemon/sessions/ticket_memory.h:
daemon/base/clock.h:
daemon/sessions/server_resume.h:
