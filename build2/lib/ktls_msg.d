build2/lib/ktls_msg.o: lib/ktls_msg.c lib/ktls_proto.h lib/ktls.h
lib/ktls_proto.h:
lib/ktls.h:
