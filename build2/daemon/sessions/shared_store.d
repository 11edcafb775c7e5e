build2/daemon/sessions/shared_store.o: daemon/sessions/shared_store.c \
 daemon/base/reason.h daemon/process/log.h daemon/sessions/shared_store.h
daemon/base/reason.h:
daemon/process/log.h:
daemon/sessions/shared_store.h:
