build2/daemon/sessions/ticket_keys.o: daemon/sessions/ticket_keys.c \
 daemon/base/reason.h daemon/sessions/ticket_keys.h
daemon/base/reason.h:
daemon/sessions/ticket_keys.h:
