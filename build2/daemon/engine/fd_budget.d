build2/daemon/engine/fd_budget.o: daemon/engine/fd_budget.c \
 daemon/engine/fd_budget.h daemon/config/config.h lib/ktls.h \
 daemon/process/log.h
daemon/engine/fd_budget.h:
daemon/config/config.h:
lib/ktls.h:
daemon/process/log.h:
