build2/daemon/sessions/client_cache.o: daemon/sessions/client_cache.c \
 daemon/sessions/client_cache.h lib/ktls_proto.h lib/ktls.h \
 daemon/sessions/session_stats.h
daemon/sessions/client_cache.h:
lib/ktls_proto.h:
lib/ktls.h:
daemon/sessions/session_stats.h:
