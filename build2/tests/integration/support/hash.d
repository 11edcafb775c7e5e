build2/tests/integration/support/hash.o: tests/integration/support/hash.c \
 tests/integration/support/hash.h
tests/integration/support/hash.h:
