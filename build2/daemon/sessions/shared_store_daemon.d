build2/daemon/sessions/shared_store_daemon.o: \
 daemon/sessions/shared_store_daemon.c daemon/config/config.h lib/ktls.h \
 daemon/engine/config_ref.h daemon/process/log.h \
 daemon/sessions/session_db.h daemon/sessions/session_stats.h \
 lib/ktls_proto.h lib/ktls.h daemon/sessions/shared_store.h \
 daemon/sessions/shared_store_daemon.h daemon/sessions/ticket_keys.h
daemon/config/config.h:
lib/ktls.h:
daemon/engine/config_ref.h:
daemon/process/log.h:
daemon/sessions/session_db.h:
daemon/sessions/session_stats.h:
lib/ktls_proto.h:
lib/ktls.h:
daemon/sessions/shared_store.h:
daemon/sessions/shared_store_daemon.h:
daemon/sessions/ticket_keys.h:
