build2/daemon/config/config_values.o: daemon/config/config_values.c \
 daemon/base/reason.h daemon/config/config.h lib/ktls.h \
 daemon/config/config_internal.h daemon/process/log.h \
 daemon/sessions/shared_store.h
daemon/base/reason.h:
daemon/config/config.h:
lib/ktls.h:
daemon/config/config_internal.h:
daemon/process/log.h:
daemon/sessions/shared_store.h:
