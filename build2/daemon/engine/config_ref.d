build2/daemon/engine/config_ref.o: daemon/engine/config_ref.c \
 daemon/engine/config_ref.h daemon/config/config.h lib/ktls.h \
 daemon/keys/creds.h
daemon/engine/config_ref.h:
daemon/config/config.h:
lib/ktls.h:
daemon/keys/creds.h:
