build2/daemon/sessions/session_db.o: daemon/sessions/session_db.c \
 daemon/config/config.h lib/ktls.h daemon/sessions/session_db.h \
 daemon/sessions/session_stats.h lib/ktls_proto.h lib/ktls.h
daemon/config/config.h:
lib/ktls.h:
daemon/sessions/session_db.h:
daemon/sessions/session_stats.h:
lib/ktls_proto.h:
lib/ktls.h:
