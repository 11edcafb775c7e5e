// SPDX-License-Identifier: LGPL-2.1-or-later
/* A loopback TCP pair and throwaway keys: where kTLS is probed and measured. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "ktls_internal.h"
#include "ktls_loopback.h"

static void close_keep_errno(int fd)
{
	int err = errno;

	if (fd >= 0)
		close(fd);
	errno = err;
}

static int set_io_timeouts(int fd, int seconds)
{
	const struct timeval timeout = { .tv_sec = seconds };

	if (seconds <= 0)
		return 0;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout)) < 0)
		return ktls_fail(errno, "loopback TCP pair: I/O timeouts: %s", strerror(errno));
	return 0;
}

int ktls_loopback_listen(int backlog, int *port)
{
	struct sockaddr_in addr = { .sin_family = AF_INET,
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return ktls_fail(errno, "loopback TCP pair: socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, backlog) < 0 ||
	    getsockname(fd, (struct sockaddr *)&addr, &len) < 0) {
		close_keep_errno(fd);
		return ktls_fail(errno, "loopback TCP pair: listening on 127.0.0.1: %s",
				 strerror(errno));
	}
	*port = ntohs(addr.sin_port);
	return fd;
}

int ktls_loopback_connect(int port, int io_timeout_s)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return ktls_fail(errno, "loopback TCP pair: socket: %s", strerror(errno));
	if (set_io_timeouts(fd, io_timeout_s) < 0) {
		close_keep_errno(fd);
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close_keep_errno(fd);
		return ktls_fail(errno, "loopback TCP pair: connect: %s", strerror(errno));
	}
	return fd;
}

void ktls_loopback_pair_close(struct ktls_loopback_pair *pair)
{
	close_keep_errno(pair->client);
	close_keep_errno(pair->server);
	pair->client = pair->server = -1;
}

int ktls_loopback_pair_open(struct ktls_loopback_pair *pair, int io_timeout_s)
{
	int port, listener = ktls_loopback_listen(1, &port);
	int rc = -1;

	pair->client = pair->server = -1;
	if (listener < 0)
		return -1;
	pair->client = ktls_loopback_connect(port, io_timeout_s);
	if (pair->client < 0)
		goto out;
	pair->server = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	if (pair->server < 0) {
		ktls_fail(errno, "loopback TCP pair: accept: %s", strerror(errno));
		goto out;
	}
	rc = set_io_timeouts(pair->server, io_timeout_s);
out:
	close_keep_errno(listener);
	if (rc < 0)
		ktls_loopback_pair_close(pair);
	return rc;
}

void ktls_params_throwaway(struct ktls_crypto_params *p, int version, int cipher,
			   uint8_t seed)
{
	const struct ktls_cipher_row *row = ktls_cipher_row(cipher);

	memset(p, 0, sizeof(*p));
	p->version = (uint16_t)version;
	p->cipher = (uint16_t)cipher;
	if (row) {
		p->key_len = row->key_len;
		p->iv_len = row->iv_len;
		p->salt_len = row->salt_len;
	}
	for (size_t i = 0; i < sizeof(p->key); i++)
		p->key[i] = (uint8_t)(seed + i);
	for (size_t i = 0; i < sizeof(p->iv); i++)
		p->iv[i] = (uint8_t)(seed ^ (0xa0 + i));
	for (size_t i = 0; i < sizeof(p->salt); i++)
		p->salt[i] = (uint8_t)(seed ^ (0x50 + i));
}
