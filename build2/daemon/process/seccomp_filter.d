build2/daemon/process/seccomp_filter.o: daemon/process/seccomp_filter.c \
 daemon/process/seccomp_filter.h
daemon/process/seccomp_filter.h:
