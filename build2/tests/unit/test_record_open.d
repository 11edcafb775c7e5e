build2/tests/unit/test_record_open.o: tests/unit/test_record_open.c \
 daemon/engine/record_open.h
daemon/engine/record_open.h:
