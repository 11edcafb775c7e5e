build2/tests/unit/test_shared_store.o: tests/unit/test_shared_store.c \
 daemon/config/config.h lib/ktls.h daemon/sessions/shared_store.h
daemon/config/config.h:
lib/ktls.h:
daemon/sessions/shared_store.h:
