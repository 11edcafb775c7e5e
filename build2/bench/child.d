build2/bench/child.o: bench/child.c bench/bench.h lib/ktls.h \
 lib/support_tls_stat.h
bench/bench.h:
lib/ktls.h:
lib/support_tls_stat.h:
