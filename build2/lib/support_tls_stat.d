build2/lib/support_tls_stat.o: lib/support_tls_stat.c \
 lib/support_tls_stat.h
lib/support_tls_stat.h:
