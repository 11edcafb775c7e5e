build2/daemon/process/sd_notify.o: daemon/process/sd_notify.c \
 daemon/process/log.h daemon/process/sd_notify.h
daemon/process/log.h:
daemon/process/sd_notify.h:
