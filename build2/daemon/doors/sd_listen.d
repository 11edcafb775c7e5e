build2/daemon/doors/sd_listen.o: daemon/doors/sd_listen.c \
 daemon/doors/sd_listen.h
daemon/doors/sd_listen.h:
