build2/daemon/config/config_select.o: daemon/config/config_select.c \
 daemon/config/config.h lib/ktls.h
daemon/config/config.h:
lib/ktls.h:
