build2/daemon/keys/keyproc_proto.o: daemon/keys/keyproc_proto.c \
 daemon/keys/keyproc_proto.h
daemon/keys/keyproc_proto.h:
