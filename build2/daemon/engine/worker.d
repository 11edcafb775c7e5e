build2/daemon/engine/worker.o: daemon/engine/worker.c \
 daemon/engine/admission.h daemon/config/config.h lib/ktls.h \
 lib/ktls_proto.h lib/ktls.h daemon/engine/handshake.h \
 daemon/engine/job.h daemon/doors/peer_cred.h daemon/engine/config_ref.h \
 daemon/process/log.h daemon/engine/stats.h daemon/engine/worker.h \
 daemon/base/clock.h
daemon/engine/admission.h:
daemon/config/config.h:
lib/ktls.h:
lib/ktls_proto.h:
lib/ktls.h:
daemon/engine/handshake.h:
daemon/engine/job.h:
daemon/doors/peer_cred.h:
daemon/engine/config_ref.h:
daemon/process/log.h:
daemon/engine/stats.h:
daemon/engine/worker.h:
daemon/base/clock.h:
