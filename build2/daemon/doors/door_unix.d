build2/daemon/doors/door_unix.o: daemon/doors/door_unix.c \
 daemon/engine/admission.h daemon/config/config.h lib/ktls.h \
 lib/ktls_proto.h lib/ktls.h daemon/doors/door_unix.h daemon/engine/job.h \
 daemon/doors/peer_cred.h daemon/engine/config_ref.h daemon/process/log.h \
 daemon/doors/sd_listen.h daemon/engine/stats.h daemon/engine/worker.h \
 daemon/base/clock.h daemon/doors/fdcheck.h daemon/doors/reply.h \
 daemon/doors/status.h
daemon/engine/admission.h:
daemon/config/config.h:
lib/ktls.h:
lib/ktls_proto.h:
lib/ktls.h:
daemon/doors/door_unix.h:
daemon/engine/job.h:
daemon/doors/peer_cred.h:
daemon/engine/config_ref.h:
daemon/process/log.h:
daemon/doors/sd_listen.h:
daemon/engine/stats.h:
daemon/engine/worker.h:
daemon/base/clock.h:
daemon/doors/fdcheck.h:
daemon/doors/reply.h:
daemon/doors/status.h:
