build2/daemon/sessions/ticket_memory.o: daemon/sessions/ticket_memory.c \
 daemon/sessions/ticket_memory.h daemon/sessions/client_cache.h \
 lib/ktls_proto.h lib/ktls.h
daemon/sessions/ticket_memory.h:
daemon/sessions/client_cache.h:
lib/ktls_proto.h:
lib/ktls.h:
