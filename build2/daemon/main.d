build2/daemon/main.o: daemon/main.c daemon/keys/creds.h \
 daemon/config/config.h lib/ktls.h lib/ktls_rekey.h lib/ktls_hkdf.h \
 daemon/doors/door_netlink.h /usr/include/libnl3/netlink/msg.h \
 /usr/include/libnl3/netlink/netlink.h \
 /usr/include/libnl3/netlink/netlink-compat.h \
 /usr/include/libnl3/netlink/version.h \
 /usr/include/libnl3/netlink/errno.h /usr/include/libnl3/netlink/types.h \
 /usr/include/libnl3/netlink/handlers.h \
 /usr/include/libnl3/netlink/netlink-kernel.h \
 /usr/include/libnl3/netlink/socket.h \
 /usr/include/libnl3/netlink/object.h /usr/include/libnl3/netlink/utils.h \
 /usr/include/libnl3/netlink/list.h /usr/include/libnl3/netlink/attr.h \
 /usr/include/libnl3/netlink/addr.h /usr/include/libnl3/netlink/data.h \
 daemon/engine/job.h daemon/doors/peer_cred.h daemon/engine/config_ref.h \
 lib/ktls_proto.h lib/ktls.h daemon/doors/door_unix.h \
 daemon/engine/fd_budget.h daemon/keys/keyproc.h \
 daemon/keys/keyproc_proto.h daemon/engine/config_ref.h \
 daemon/process/log.h daemon/process/privdrop.h daemon/process/sandbox.h \
 daemon/process/sd_notify.h daemon/engine/stats.h \
 daemon/sessions/session_db.h daemon/sessions/shared_store_daemon.h \
 daemon/sessions/ticket_keys.h daemon/engine/worker.h \
 daemon/sessions/client_cache.h daemon/sessions/client_session.h \
 daemon/sessions/client_cache.h
daemon/keys/creds.h:
daemon/config/config.h:
lib/ktls.h:
lib/ktls_rekey.h:
lib/ktls_hkdf.h:
daemon/doors/door_netlink.h:
/usr/include/libnl3/netlink/msg.h:
/usr/include/libnl3/netlink/netlink.h:
/usr/include/libnl3/netlink/netlink-compat.h:
/usr/include/libnl3/netlink/version.h:
/usr/include/libnl3/netlink/errno.h:
/usr/include/libnl3/netlink/types.h:
/usr/include/libnl3/netlink/handlers.h:
/usr/include/libnl3/netlink/netlink-kernel.h:
/usr/include/libnl3/netlink/socket.h:
/usr/include/libnl3/netlink/object.h:
/usr/include/libnl3/netlink/utils.h:
/usr/include/libnl3/netlink/list.h:
/usr/include/libnl3/netlink/attr.h:
/usr/include/libnl3/netlink/addr.h:
/usr/include/libnl3/netlink/data.h:
daemon/engine/job.h:
daemon/doors/peer_cred.h:
daemon/engine/config_ref.h:
lib/ktls_proto.h:
lib/ktls.h:
daemon/doors/door_unix.h:
daemon/engine/fd_budget.h:
daemon/keys/keyproc.h:
daemon/keys/keyproc_proto.h:
daemon/engine/config_ref.h:
daemon/process/log.h:
daemon/process/privdrop.h:
daemon/process/sandbox.h:
daemon/process/sd_notify.h:
daemon/engine/stats.h:
daemon/sessions/session_db.h:
daemon/sessions/shared_store_daemon.h:
daemon/sessions/ticket_keys.h:
daemon/engine/worker.h:
daemon/sessions/client_cache.h:
daemon/sessions/client_session.h:
daemon/sessions/client_cache.h:
