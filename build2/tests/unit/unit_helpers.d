build2/tests/unit/unit_helpers.o: tests/unit/unit_helpers.c \
 tests/unit/unit_helpers.h lib/ktls_internal.h lib/ktls.h lib/ktls_uapi.h
tests/unit/unit_helpers.h:
lib/ktls_internal.h:
lib/ktls.h:
lib/ktls_uapi.h:
