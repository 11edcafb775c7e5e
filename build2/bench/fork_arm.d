build2/bench/fork_arm.o: bench/fork_arm.c bench/bench.h lib/ktls.h \
 lib/support_tls_stat.h bench/handshake_bench.h
bench/bench.h:
lib/ktls.h:
lib/support_tls_stat.h:
bench/handshake_bench.h:
