build2/daemon/doors/reply.o: daemon/doors/reply.c daemon/doors/reply.h \
 daemon/engine/job.h daemon/config/config.h lib/ktls.h \
 daemon/doors/peer_cred.h daemon/engine/config_ref.h lib/ktls_proto.h \
 lib/ktls.h daemon/process/log.h
daemon/doors/reply.h:
daemon/engine/job.h:
daemon/config/config.h:
lib/ktls.h:
daemon/doors/peer_cred.h:
daemon/engine/config_ref.h:
lib/ktls_proto.h:
lib/ktls.h:
daemon/process/log.h:
