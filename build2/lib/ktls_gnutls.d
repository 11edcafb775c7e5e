build2/lib/ktls_gnutls.o: lib/ktls_gnutls.c lib/ktls_gnutls.h lib/ktls.h \
 lib/ktls_internal.h lib/ktls_uapi.h
lib/ktls_gnutls.h:
lib/ktls.h:
lib/ktls_internal.h:
lib/ktls_uapi.h:
