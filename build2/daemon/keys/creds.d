build2/daemon/keys/creds.o: daemon/keys/creds.c daemon/base/reason.h \
 daemon/base/wipe.h daemon/keys/creds.h daemon/config/config.h lib/ktls.h \
 daemon/keys/creds_internal.h daemon/keys/keyproc_proto.h \
 daemon/keys/keyproc.h daemon/keys/secret_file.h \
 daemon/sessions/ticket_keys.h daemon/process/log.h
daemon/base/reason.h:
daemon/base/wipe.h:
daemon/keys/creds.h:
daemon/config/config.h:
lib/ktls.h:
daemon/keys/creds_internal.h:
daemon/keys/keyproc_proto.h:
daemon/keys/keyproc.h:
daemon/keys/secret_file.h:
daemon/sessions/ticket_keys.h:
daemon/process/log.h:
