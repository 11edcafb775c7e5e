build2/daemon/keys/keyproc_client.o: daemon/keys/keyproc_client.c \
 daemon/keys/keyproc.h daemon/config/config.h lib/ktls.h \
 daemon/keys/keyproc_proto.h daemon/process/log.h
daemon/keys/keyproc.h:
daemon/config/config.h:
lib/ktls.h:
daemon/keys/keyproc_proto.h:
daemon/process/log.h:
