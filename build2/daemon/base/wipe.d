build2/daemon/base/wipe.o: daemon/base/wipe.c daemon/base/wipe.h
daemon/base/wipe.h:
