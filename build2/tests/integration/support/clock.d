build2/tests/integration/support/clock.o: \
 tests/integration/support/clock.c tests/integration/support/clock.h
tests/integration/support/clock.h:
