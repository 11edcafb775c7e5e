build2/bench/external_arms.o: bench/external_arms.c bench/bench.h \
 lib/ktls.h lib/support_tls_stat.h lib/ktls_loopback.h lib/ktls.h \
 bench/http_client.h
bench/bench.h:
lib/ktls.h:
lib/support_tls_stat.h:
lib/ktls_loopback.h:
lib/ktls.h:
bench/http_client.h:
