build2/bench/http_client.o: bench/http_client.c bench/http_client.h \
 bench/bench.h lib/ktls.h lib/support_tls_stat.h lib/ktls_loopback.h \
 lib/ktls.h
bench/http_client.h:
bench/bench.h:
lib/ktls.h:
lib/support_tls_stat.h:
lib/ktls_loopback.h:
lib/ktls.h:
