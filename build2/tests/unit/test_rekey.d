build2/tests/unit/test_rekey.o: tests/unit/test_rekey.c lib/ktls_gnutls.h \
 lib/ktls.h lib/ktls_hkdf.h lib/ktls_internal.h lib/ktls_uapi.h \
 lib/ktls_proto.h lib/ktls_rekey.h lib/ktls_hkdf.h \
 tests/unit/unit_helpers.h
lib/ktls_gnutls.h:
lib/ktls.h:
lib/ktls_hkdf.h:
lib/ktls_internal.h:
lib/ktls_uapi.h:
lib/ktls_proto.h:
lib/ktls_rekey.h:
lib/ktls_hkdf.h:
tests/unit/unit_helpers.h:
