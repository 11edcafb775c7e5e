build2/daemon/keys/keyring.o: daemon/keys/keyring.c daemon/keys/creds.h \
 daemon/config/config.h lib/ktls.h daemon/keys/keyring.h \
 daemon/engine/config_ref.h lib/ktls_proto.h lib/ktls.h \
 daemon/process/log.h daemon/base/clock.h
daemon/keys/creds.h:
daemon/config/config.h:
lib/ktls.h:
daemon/keys/keyring.h:
daemon/engine/config_ref.h:
lib/ktls_proto.h:
lib/ktls.h:
daemon/process/log.h:
daemon/base/clock.h:
