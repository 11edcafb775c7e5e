build2/daemon/doors/peer_cred.o: daemon/doors/peer_cred.c \
 daemon/doors/peer_cred.h
daemon/doors/peer_cred.h:
