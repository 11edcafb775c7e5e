build2/tests/unit/test_creds.o: tests/unit/test_creds.c \
 daemon/config/config.h lib/ktls.h daemon/keys/creds.h \
 daemon/keys/secret_file.h tests/unit/unit_files.h
daemon/config/config.h:
lib/ktls.h:
daemon/keys/creds.h:
daemon/keys/secret_file.h:
tests/unit/unit_files.h:
