build2/tests/unit/test_door_unix.o: tests/unit/test_door_unix.c \
 daemon/doors/door_unix.h daemon/engine/job.h daemon/config/config.h \
 lib/ktls.h daemon/doors/peer_cred.h daemon/engine/config_ref.h \
 lib/ktls_proto.h lib/ktls.h daemon/engine/stats.h \
 tests/unit/unit_files.h
daemon/doors/door_unix.h:
daemon/engine/job.h:
daemon/config/config.h:
lib/ktls.h:
daemon/doors/peer_cred.h:
daemon/engine/config_ref.h:
lib/ktls_proto.h:
lib/ktls.h:
daemon/engine/stats.h:
tests/unit/unit_files.h:
