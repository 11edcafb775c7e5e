build2/daemon/sessions/ticket_key_file.o: \
 daemon/sessions/ticket_key_file.c daemon/base/reason.h \
 daemon/config/config.h lib/ktls.h daemon/keys/keyproc.h \
 daemon/keys/keyproc_proto.h daemon/keys/secret_file.h \
 daemon/sessions/ticket_keys.h
daemon/base/reason.h:
daemon/config/config.h:
lib/ktls.h:
daemon/keys/keyproc.h:
daemon/keys/keyproc_proto.h:
daemon/keys/secret_file.h:
daemon/sessions/ticket_keys.h:
