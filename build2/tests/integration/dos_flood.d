build2/tests/integration/dos_flood.o: tests/integration/dos_flood.c \
 lib/ktls.h lib/ktls_loopback.h lib/ktls.h \
 tests/integration/support/net.h
lib/ktls.h:
lib/ktls_loopback.h:
lib/ktls.h:
tests/integration/support/net.h:
