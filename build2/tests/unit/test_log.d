build2/tests/unit/test_log.o: tests/unit/test_log.c daemon/process/log.h
daemon/process/log.h:
