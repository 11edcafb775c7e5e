build2/bench/tls_setup.o: bench/tls_setup.c bench/bench.h lib/ktls.h \
 lib/support_tls_stat.h lib/ktls_gnutls.h lib/ktls.h lib/support_io.h
bench/bench.h:
lib/ktls.h:
lib/support_tls_stat.h:
lib/ktls_gnutls.h:
lib/ktls.h:
lib/support_io.h:
