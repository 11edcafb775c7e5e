build2/daemon/engine/record_open.o: daemon/engine/record_open.c \
 daemon/engine/record_open.h
daemon/engine/record_open.h:
