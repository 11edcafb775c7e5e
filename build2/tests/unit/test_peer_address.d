build2/tests/unit/test_peer_address.o: tests/unit/test_peer_address.c \
 daemon/doors/fdcheck.h
daemon/doors/fdcheck.h:
