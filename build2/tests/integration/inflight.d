build2/tests/integration/inflight.o: tests/integration/inflight.c \
 lib/ktls.h tests/integration/support/clock.h \
 tests/integration/support/net.h
lib/ktls.h:
tests/integration/support/clock.h:
tests/integration/support/net.h:
