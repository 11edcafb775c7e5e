build2/daemon/config/config.o: daemon/config/config.c \
 daemon/config/config.h lib/ktls.h daemon/config/config_internal.h \
 daemon/process/log.h
daemon/config/config.h:
lib/ktls.h:
daemon/config/config_internal.h:
daemon/process/log.h:
