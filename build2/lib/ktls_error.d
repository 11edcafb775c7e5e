build2/lib/ktls_error.o: lib/ktls_error.c lib/ktls_internal.h lib/ktls.h \
 lib/ktls_uapi.h
lib/ktls_internal.h:
lib/ktls.h:
lib/ktls_uapi.h:
