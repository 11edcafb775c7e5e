build2/lib/ktls_loopback.o: lib/ktls_loopback.c lib/ktls_internal.h \
 lib/ktls.h lib/ktls_uapi.h lib/ktls_loopback.h
lib/ktls_internal.h:
lib/ktls.h:
lib/ktls_uapi.h:
lib/ktls_loopback.h:
