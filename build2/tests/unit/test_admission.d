build2/tests/unit/test_admission.o: tests/unit/test_admission.c \
 daemon/engine/admission.h daemon/config/config.h lib/ktls.h \
 lib/ktls_proto.h lib/ktls.h daemon/engine/fd_budget.h \
 daemon/engine/stats.h daemon/engine/job.h daemon/doors/peer_cred.h \
 daemon/engine/config_ref.h
daemon/engine/admission.h:
daemon/config/config.h:
lib/ktls.h:
lib/ktls_proto.h:
lib/ktls.h:
daemon/engine/fd_budget.h:
daemon/engine/stats.h:
daemon/engine/job.h:
daemon/doors/peer_cred.h:
daemon/engine/config_ref.h:
