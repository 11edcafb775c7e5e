build2/tests/integration/support/net.o: tests/integration/support/net.c \
 tests/integration/support/net.h
tests/integration/support/net.h:
