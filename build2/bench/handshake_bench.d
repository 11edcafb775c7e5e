build2/bench/handshake_bench.o: bench/handshake_bench.c bench/bench.h \
 lib/ktls.h lib/support_tls_stat.h lib/support_io.h lib/ktls_loopback.h \
 lib/ktls.h bench/handshake_bench.h
bench/bench.h:
lib/ktls.h:
lib/support_tls_stat.h:
lib/support_io.h:
lib/ktls_loopback.h:
lib/ktls.h:
bench/handshake_bench.h:
