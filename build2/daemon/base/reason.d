build2/daemon/base/reason.o: daemon/base/reason.c daemon/base/reason.h
daemon/base/reason.h:
