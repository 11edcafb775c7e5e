build2/bench/ktlsd_ctl.o: bench/ktlsd_ctl.c bench/bench.h lib/ktls.h \
 lib/support_tls_stat.h lib/ktls_proto.h lib/ktls.h
bench/bench.h:
lib/ktls.h:
lib/support_tls_stat.h:
lib/ktls_proto.h:
lib/ktls.h:
