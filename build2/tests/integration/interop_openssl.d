build2/tests/integration/interop_openssl.o: \
 tests/integration/interop_openssl.c lib/ktls.h lib/ktls_gnutls.h \
 lib/ktls.h tests/integration/support/clock.h \
 tests/integration/support/hash.h tests/integration/support/net.h \
 tests/integration/support/tap.h lib/support_io.h lib/support_tls_stat.h
lib/ktls.h:
lib/ktls_gnutls.h:
lib/ktls.h:
tests/integration/support/clock.h:
tests/integration/support/hash.h:
tests/integration/support/net.h:
tests/integration/support/tap.h:
lib/support_io.h:
lib/support_tls_stat.h:
