build2/lib/ktls_ipc.o: lib/ktls_ipc.c lib/ktls_proto.h lib/ktls.h
lib/ktls_proto.h:
lib/ktls.h:
