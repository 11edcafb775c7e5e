build2/bench/handshake_report.o: bench/handshake_report.c bench/bench.h \
 lib/ktls.h lib/support_tls_stat.h bench/handshake_bench.h
bench/bench.h:
lib/ktls.h:
lib/support_tls_stat.h:
bench/handshake_bench.h:
