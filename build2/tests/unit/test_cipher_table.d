build2/tests/unit/test_cipher_table.o: tests/unit/test_cipher_table.c \
 lib/ktls_internal.h lib/ktls.h lib/ktls_uapi.h tests/unit/unit_helpers.h
lib/ktls_internal.h:
lib/ktls.h:
lib/ktls_uapi.h:
tests/unit/unit_helpers.h:
