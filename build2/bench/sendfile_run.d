build2/bench/sendfile_run.o: bench/sendfile_run.c bench/bench.h \
 lib/ktls.h lib/support_tls_stat.h bench/sendfile_arms.h
bench/bench.h:
lib/ktls.h:
lib/support_tls_stat.h:
bench/sendfile_arms.h:
