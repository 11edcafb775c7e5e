build2/daemon/doors/fdcheck.o: daemon/doors/fdcheck.c lib/ktls_uapi.h \
 daemon/doors/fdcheck.h
lib/ktls_uapi.h:
daemon/doors/fdcheck.h:
