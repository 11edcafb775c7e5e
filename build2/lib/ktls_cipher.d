build2/lib/ktls_cipher.o: lib/ktls_cipher.c lib/ktls_internal.h \
 lib/ktls.h lib/ktls_uapi.h
lib/ktls_internal.h:
lib/ktls.h:
lib/ktls_uapi.h:
