build2/daemon/process/log.o: daemon/process/log.c daemon/process/log.h
daemon/process/log.h:
