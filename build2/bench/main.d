build2/bench/main.o: bench/main.c bench/bench.h lib/ktls.h \
 lib/support_tls_stat.h lib/support_io.h
bench/bench.h:
lib/ktls.h:
lib/support_tls_stat.h:
lib/support_io.h:
