build2/daemon/sessions/session_stats.o: daemon/sessions/session_stats.c \
 daemon/sessions/session_stats.h lib/ktls_proto.h lib/ktls.h
daemon/sessions/session_stats.h:
lib/ktls_proto.h:
lib/ktls.h:
