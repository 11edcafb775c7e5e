build2/lib/ktls_record.o: lib/ktls_record.c lib/ktls_internal.h \
 lib/ktls.h lib/ktls_uapi.h
lib/ktls_internal.h:
lib/ktls.h:
lib/ktls_uapi.h:
