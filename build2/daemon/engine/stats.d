build2/daemon/engine/stats.o: daemon/engine/stats.c daemon/engine/stats.h \
 daemon/engine/job.h daemon/config/config.h lib/ktls.h \
 daemon/doors/peer_cred.h daemon/engine/config_ref.h lib/ktls_proto.h \
 lib/ktls.h daemon/base/clock.h daemon/sessions/session_stats.h
daemon/engine/stats.h:
daemon/engine/job.h:
daemon/config/config.h:
lib/ktls.h:
daemon/doors/peer_cred.h:
daemon/engine/config_ref.h:
lib/ktls_proto.h:
lib/ktls.h:
daemon/base/clock.h:
daemon/sessions/session_stats.h:
