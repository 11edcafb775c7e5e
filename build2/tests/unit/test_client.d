build2/tests/unit/test_client.o: tests/unit/test_client.c \
 lib/ktls_internal.h lib/ktls.h lib/ktls_uapi.h lib/ktls_proto.h \
 tests/unit/unit_helpers.h
lib/ktls_internal.h:
lib/ktls.h:
lib/ktls_uapi.h:
lib/ktls_proto.h:
tests/unit/unit_helpers.h:
