build2/daemon/sessions/server_resume.o: daemon/sessions/server_resume.c \
 daemon/config/config.h lib/ktls.h daemon/sessions/server_resume.h \
 daemon/sessions/session_db.h daemon/sessions/session_stats.h \
 lib/ktls_proto.h lib/ktls.h daemon/sessions/ticket_keys.h
daemon/config/config.h:
lib/ktls.h:
daemon/sessions/server_resume.h:
daemon/sessions/session_db.h:
daemon/sessions/session_stats.h:
lib/ktls_proto.h:
lib/ktls.h:
daemon/sessions/ticket_keys.h:
