build2/tests/unit/test_keyproc.o: tests/unit/test_keyproc.c \
 daemon/config/config.h lib/ktls.h daemon/keys/creds.h \
 daemon/keys/keyproc.h daemon/keys/keyproc_proto.h \
 daemon/sessions/ticket_keys.h tests/unit/unit_files.h
daemon/config/config.h:
lib/ktls.h:
daemon/keys/creds.h:
daemon/keys/keyproc.h:
daemon/keys/keyproc_proto.h:
daemon/sessions/ticket_keys.h:
tests/unit/unit_files.h:
