build2/lib/ktls_kernel.o: lib/ktls_kernel.c lib/ktls_internal.h \
 lib/ktls.h lib/ktls_uapi.h
lib/ktls_internal.h:
lib/ktls.h:
lib/ktls_uapi.h:
