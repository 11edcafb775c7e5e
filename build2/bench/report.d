build2/bench/report.o: bench/report.c bench/bench.h lib/ktls.h \
 lib/support_tls_stat.h
bench/bench.h:
lib/ktls.h:
lib/support_tls_stat.h:
