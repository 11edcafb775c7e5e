build2/tests/integration/rekey_peer.o: tests/integration/rekey_peer.c \
 lib/ktls.h lib/ktls_loopback.h lib/ktls.h \
 tests/integration/support/net.h tests/integration/support/tap.h \
 lib/support_io.h
lib/ktls.h:
lib/ktls_loopback.h:
lib/ktls.h:
tests/integration/support/net.h:
tests/integration/support/tap.h:
lib/support_io.h:
