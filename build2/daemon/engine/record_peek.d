build2/daemon/engine/record_peek.o: daemon/engine/record_peek.c \
 daemon/engine/record_open.h daemon/engine/record_peek.h
daemon/engine/record_open.h:
daemon/engine/record_peek.h:
