build2/daemon/sessions/shared_store_seal.o: \
 daemon/sessions/shared_store_seal.c daemon/sessions/shared_store.h
daemon/sessions/shared_store.h:
