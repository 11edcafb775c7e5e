build2/tests/unit/test_msg.o: tests/unit/test_msg.c lib/ktls_proto.h \
 lib/ktls.h
lib/ktls_proto.h:
lib/ktls.h:
