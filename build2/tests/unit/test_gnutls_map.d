build2/tests/unit/test_gnutls_map.o: tests/unit/test_gnutls_map.c \
 lib/ktls_gnutls.h lib/ktls.h lib/ktls_internal.h lib/ktls_uapi.h \
 tests/unit/unit_helpers.h
lib/ktls_gnutls.h:
lib/ktls.h:
lib/ktls_internal.h:
lib/ktls_uapi.h:
tests/unit/unit_helpers.h:
