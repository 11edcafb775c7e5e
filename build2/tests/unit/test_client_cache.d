build2/tests/unit/test_client_cache.o: tests/unit/test_client_cache.c \
 daemon/sessions/client_cache.h lib/ktls_proto.h lib/ktls.h \
 daemon/sessions/session_stats.h
daemon/sessions/client_cache.h:
lib/ktls_proto.h:
lib/ktls.h:
daemon/sessions/session_stats.h:
