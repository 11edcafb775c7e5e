build2/tests/unit/test_seccomp_filter.o: tests/unit/test_seccomp_filter.c \
 daemon/process/sandbox.h daemon/config/config.h lib/ktls.h \
 lib/ktls_proto.h lib/ktls.h daemon/process/seccomp_filter.h
daemon/process/sandbox.h:
daemon/config/config.h:
lib/ktls.h:
lib/ktls_proto.h:
lib/ktls.h:
daemon/process/seccomp_filter.h:
