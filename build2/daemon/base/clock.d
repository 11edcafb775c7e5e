build2/daemon/base/clock.o: daemon/base/clock.c daemon/base/clock.h
daemon/base/clock.h:
