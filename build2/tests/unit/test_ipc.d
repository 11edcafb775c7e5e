build2/tests/unit/test_ipc.o: tests/unit/test_ipc.c lib/ktls_proto.h \
 lib/ktls.h
lib/ktls_proto.h:
lib/ktls.h:
