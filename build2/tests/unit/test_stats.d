build2/tests/unit/test_stats.o: tests/unit/test_stats.c \
 daemon/base/clock.h daemon/doors/status.h daemon/engine/stats.h \
 daemon/engine/job.h daemon/config/config.h lib/ktls.h \
 daemon/doors/peer_cred.h daemon/engine/config_ref.h lib/ktls_proto.h \
 lib/ktls.h
daemon/base/clock.h:
daemon/doors/status.h:
daemon/engine/stats.h:
daemon/engine/job.h:
daemon/config/config.h:
lib/ktls.h:
daemon/doors/peer_cred.h:
daemon/engine/config_ref.h:
lib/ktls_proto.h:
lib/ktls.h:
