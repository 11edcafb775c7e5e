build2/tests/integration/ktls_pairs.o: tests/integration/ktls_pairs.c \
 lib/ktls.h lib/ktls_loopback.h lib/ktls.h \
 tests/integration/support/clock.h tests/integration/support/hash.h \
 tests/integration/support/net.h tests/integration/support/tap.h \
 lib/support_io.h
lib/ktls.h:
lib/ktls_loopback.h:
lib/ktls.h:
tests/integration/support/clock.h:
tests/integration/support/hash.h:
tests/integration/support/net.h:
tests/integration/support/tap.h:
lib/support_io.h:
