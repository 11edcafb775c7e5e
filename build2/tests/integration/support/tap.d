build2/tests/integration/support/tap.o: tests/integration/support/tap.c \
 lib/ktls.h tests/integration/support/tap.h
lib/ktls.h:
tests/integration/support/tap.h:
