build2/tests/unit/test_config.o: tests/unit/test_config.c \
 daemon/config/config.h lib/ktls.h daemon/process/log.h
daemon/config/config.h:
lib/ktls.h:
daemon/process/log.h:
