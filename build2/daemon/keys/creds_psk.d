build2/daemon/keys/creds_psk.o: daemon/keys/creds_psk.c \
 daemon/base/reason.h daemon/base/wipe.h daemon/keys/creds.h \
 daemon/config/config.h lib/ktls.h daemon/keys/creds_internal.h \
 daemon/keys/keyproc_proto.h daemon/keys/secret_file.h
daemon/base/reason.h:
daemon/base/wipe.h:
daemon/keys/creds.h:
daemon/config/config.h:
lib/ktls.h:
daemon/keys/creds_internal.h:
daemon/keys/keyproc_proto.h:
daemon/keys/secret_file.h:
