build2/tests/unit/test_ticket_memory.o: tests/unit/test_ticket_memory.c \
 daemon/sessions/ticket_memory.h daemon/sessions/client_cache.h \
 lib/ktls_proto.h lib/ktls.h
daemon/sessions/ticket_memory.h:
daemon/sessions/client_cache.h:
lib/ktls_proto.h:
lib/ktls.h:
