build2/daemon/keys/keyproc.o: daemon/keys/keyproc.c daemon/base/reason.h \
 daemon/base/wipe.h daemon/keys/keyproc.h daemon/config/config.h \
 lib/ktls.h daemon/keys/keyproc_proto.h daemon/keys/secret_file.h \
 lib/ktls_proto.h lib/ktls.h daemon/process/log.h \
 daemon/process/privdrop.h daemon/process/seccomp_filter.h
daemon/base/reason.h:
daemon/base/wipe.h:
daemon/keys/keyproc.h:
daemon/config/config.h:
lib/ktls.h:
daemon/keys/keyproc_proto.h:
daemon/keys/secret_file.h:
lib/ktls_proto.h:
lib/ktls.h:
daemon/process/log.h:
daemon/process/privdrop.h:
daemon/process/seccomp_filter.h:
