// SPDX-License-Identifier: GPL-2.0-or-later
/* Checks on the fd an application hands us, before any byte is read from it. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "ktls_uapi.h"
#include "doors/fdcheck.h"

static int sockopt_int(int fd, int level, int name, int *value)
{
	socklen_t len = sizeof(*value);

	return getsockopt(fd, level, name, value, &len) < 0 ? -errno : 0;
}

static int reject(char *reason, size_t reason_len, int err, const char *msg)
{
	snprintf(reason, reason_len, "%s", msg);
	return -err;
}

int fd_check_tcp_socket(int fd, char *reason, size_t reason_len)
{
	struct stat st;
	struct tcp_info info;
	socklen_t info_len = sizeof(info);
	char ulp[16] = "";
	socklen_t ulp_len = sizeof(ulp) - 1;
	int domain, type, protocol, listening;

	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		return reject(reason, reason_len, ENOTSOCK, "passed fd is not a socket");
	if (sockopt_int(fd, SOL_SOCKET, SO_DOMAIN, &domain) ||
	    (domain != AF_INET && domain != AF_INET6))
		return reject(reason, reason_len, EAFNOSUPPORT,
			      "passed fd is not an IPv4/IPv6 socket");
	if (sockopt_int(fd, SOL_SOCKET, SO_TYPE, &type) ||
	    sockopt_int(fd, SOL_SOCKET, SO_PROTOCOL, &protocol) ||
	    type != SOCK_STREAM || protocol != IPPROTO_TCP)
		return reject(reason, reason_len, EPROTOTYPE,
			      type == SOCK_DGRAM ? "passed fd is a UDP socket, kTLS needs TCP"
						 : "passed fd is not a TCP socket");
	if (sockopt_int(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening) == 0 && listening)
		return reject(reason, reason_len, EINVAL,
			      "passed fd is a listening socket; pass an accepted connection");
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &info_len) < 0 ||
	    info.tcpi_state != 1 /* TCP_ESTABLISHED */)
		return reject(reason, reason_len, ENOTCONN,
			      "passed socket is not connected (TCP state is not ESTABLISHED)");
	if (getsockopt(fd, IPPROTO_TCP, TCP_ULP, ulp, &ulp_len) == 0 && ulp[0])
		return reject(reason, reason_len, EALREADY,
			      !strcmp(ulp, "tls") ? "passed socket already carries kernel TLS"
						  : "passed socket already carries an upper-layer protocol");
	return 0;
}

void fd_peer_address(int fd, char *out, size_t out_len)
{
	/* When getpeername() fails, ss_family below must read AF_UNSPEC,
	 * not whatever the stack held. */
	struct sockaddr_storage ss = { .ss_family = AF_UNSPEC };
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
			inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
			port = ntohs(sin->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
			inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
			port = ntohs(sin6->sin6_port);
		}
	}
	snprintf(out, out_len, ss.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", host, port);
}
