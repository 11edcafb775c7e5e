build2/bench/metrics.o: bench/metrics.c bench/bench.h lib/ktls.h \
 lib/support_tls_stat.h
bench/bench.h:
lib/ktls.h:
lib/support_tls_stat.h:
