build2/tests/unit/test_manpage_keys.o: tests/unit/test_manpage_keys.c \
 daemon/config/config.h lib/ktls.h
daemon/config/config.h:
lib/ktls.h:
