build2/tests/unit/test_sandbox.o: tests/unit/test_sandbox.c \
 daemon/config/config.h lib/ktls.h daemon/keys/keyproc.h \
 daemon/keys/keyproc_proto.h daemon/process/sandbox.h lib/ktls_proto.h \
 lib/ktls.h tests/unit/unit_files.h
daemon/config/config.h:
lib/ktls.h:
daemon/keys/keyproc.h:
daemon/keys/keyproc_proto.h:
daemon/process/sandbox.h:
lib/ktls_proto.h:
lib/ktls.h:
tests/unit/unit_files.h:
