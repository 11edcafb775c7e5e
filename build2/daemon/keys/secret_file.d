build2/daemon/keys/secret_file.o: daemon/keys/secret_file.c \
 daemon/base/reason.h daemon/base/wipe.h daemon/keys/secret_file.h
daemon/base/reason.h:
daemon/base/wipe.h:
daemon/keys/secret_file.h:
