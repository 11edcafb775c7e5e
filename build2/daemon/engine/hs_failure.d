build2/daemon/engine/hs_failure.o: daemon/engine/hs_failure.c \
 daemon/engine/hs_failure.h lib/ktls.h
daemon/engine/hs_failure.h:
lib/ktls.h:
