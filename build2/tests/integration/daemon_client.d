build2/tests/integration/daemon_client.o: \
 tests/integration/daemon_client.c lib/ktls.h lib/ktls_loopback.h \
 lib/ktls.h lib/ktls_proto.h tests/integration/support/clock.h \
 tests/integration/support/hash.h tests/integration/support/net.h \
 tests/integration/support/tap.h lib/support_io.h
lib/ktls.h:
lib/ktls_loopback.h:
lib/ktls.h:
lib/ktls_proto.h:
tests/integration/support/clock.h:
tests/integration/support/hash.h:
tests/integration/support/net.h:
tests/integration/support/tap.h:
lib/support_io.h:
