build2/tests/unit/test_keyproc_proto.o: tests/unit/test_keyproc_proto.c \
 daemon/keys/keyproc_proto.h
daemon/keys/keyproc_proto.h:
