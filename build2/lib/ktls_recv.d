build2/lib/ktls_recv.o: lib/ktls_recv.c lib/ktls_internal.h lib/ktls.h \
 lib/ktls_uapi.h lib/ktls_rekey.h lib/ktls_hkdf.h
lib/ktls_internal.h:
lib/ktls.h:
lib/ktls_uapi.h:
lib/ktls_rekey.h:
lib/ktls_hkdf.h:
