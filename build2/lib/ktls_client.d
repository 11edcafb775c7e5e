build2/lib/ktls_client.o: lib/ktls_client.c lib/ktls_internal.h \
 lib/ktls.h lib/ktls_uapi.h lib/ktls_rekey.h lib/ktls_hkdf.h \
 lib/ktls_sockopt.h lib/ktls_proto.h
lib/ktls_internal.h:
lib/ktls.h:
lib/ktls_uapi.h:
lib/ktls_rekey.h:
lib/ktls_hkdf.h:
lib/ktls_sockopt.h:
lib/ktls_proto.h:
