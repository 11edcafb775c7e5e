build2/daemon/process/privdrop.o: daemon/process/privdrop.c \
 daemon/process/log.h daemon/process/privdrop.h daemon/config/config.h \
 lib/ktls.h
daemon/process/log.h:
daemon/process/privdrop.h:
daemon/config/config.h:
lib/ktls.h:
