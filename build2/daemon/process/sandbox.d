build2/daemon/process/sandbox.o: daemon/process/sandbox.c \
 daemon/process/log.h daemon/process/sandbox.h daemon/config/config.h \
 lib/ktls.h lib/ktls_proto.h lib/ktls.h daemon/process/seccomp_filter.h \
 daemon/sessions/shared_store.h
daemon/process/log.h:
daemon/process/sandbox.h:
daemon/config/config.h:
lib/ktls.h:
lib/ktls_proto.h:
lib/ktls.h:
daemon/process/seccomp_filter.h:
daemon/sessions/shared_store.h:
