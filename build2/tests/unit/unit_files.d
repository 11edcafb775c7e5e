build2/tests/unit/unit_files.o: tests/unit/unit_files.c \
 tests/unit/unit_files.h
tests/unit/unit_files.h:
