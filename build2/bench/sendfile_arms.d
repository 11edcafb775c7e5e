build2/bench/sendfile_arms.o: bench/sendfile_arms.c bench/bench.h \
 lib/ktls.h lib/support_tls_stat.h lib/ktls_loopback.h lib/ktls.h \
 bench/sendfile_arms.h lib/support_io.h
bench/bench.h:
lib/ktls.h:
lib/support_tls_stat.h:
lib/ktls_loopback.h:
lib/ktls.h:
bench/sendfile_arms.h:
lib/support_io.h:
