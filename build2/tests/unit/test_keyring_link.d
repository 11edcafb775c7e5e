build2/tests/unit/test_keyring_link.o: tests/unit/test_keyring_link.c \
 daemon/keys/keyring.h daemon/engine/config_ref.h daemon/config/config.h \
 lib/ktls.h lib/ktls_proto.h lib/ktls.h
daemon/keys/keyring.h:
daemon/engine/config_ref.h:
daemon/config/config.h:
lib/ktls.h:
lib/ktls_proto.h:
lib/ktls.h:
