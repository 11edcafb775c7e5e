build2/tests/integration/attack/attack_probe.o: \
 tests/integration/attack/attack_probe.c daemon/config/config.h \
 lib/ktls.h daemon/keys/keyproc.h daemon/keys/keyproc_proto.h \
 daemon/process/log.h
daemon/config/config.h:
lib/ktls.h:
daemon/keys/keyproc.h:
daemon/keys/keyproc_proto.h:
daemon/process/log.h:
