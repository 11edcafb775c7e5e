// SPDX-License-Identifier: LGPL-2.1-or-later
/* Probe what the running kernel's kTLS can do, on a loopback TCP pair. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "ktls_internal.h"

struct loopback_pair {
	int a, b;
};

static void pair_close(struct loopback_pair *p)
{
	if (p->a >= 0)
		close(p->a);
	if (p->b >= 0)
		close(p->b);
}

static int pair_open(struct loopback_pair *p)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);
	struct timeval timeout = { .tv_sec = 2 };
	int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int rc = -1;

	p->a = p->b = -1;
	if (listener < 0)
		return ktls_fail(errno, "probe: socket: %s", strerror(errno));
	if (bind(listener, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(listener, 1) < 0 ||
	    getsockname(listener, (struct sockaddr *)&addr, &len) < 0) {
		ktls_fail(errno, "probe: loopback listener: %s", strerror(errno));
		goto out;
	}
	p->a = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (p->a < 0 || connect(p->a, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    (p->b = accept4(listener, NULL, NULL, SOCK_CLOEXEC)) < 0) {
		ktls_fail(errno, "probe: loopback connection: %s", strerror(errno));
		pair_close(p);
		goto out;
	}
	setsockopt(p->b, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	rc = 0;
out:
	close(listener);
	return rc;
}

static void throwaway_params(struct ktls_crypto_params *p, int version, int cipher)
{
	const struct ktls_cipher_row *row = ktls_cipher_row(cipher);

	memset(p, 0, sizeof(*p));
	p->version = (uint16_t)version;
	p->cipher = (uint16_t)cipher;
	if (!row)
		return;
	p->key_len = row->key_len;
	p->iv_len = row->iv_len;
	p->salt_len = row->salt_len;
	memset(p->key, 0x5a, sizeof(p->key));
	memset(p->iv, 0xa5, sizeof(p->iv));
	memset(p->salt, 0x3c, sizeof(p->salt));
}

int ktls_probe(enum ktls_version version, enum ktls_cipher cipher)
{
	static const char ping[] = "ktls-probe";
	struct ktls_crypto_params params;
	struct loopback_pair pair;
	char buf[sizeof(ping)];
	uint8_t type = 0;
	ssize_t got;
	int rc = -1;

	ktls_clear_error();
	throwaway_params(&params, version, cipher);
	if (pair_open(&pair) < 0)
		return -1;
	if (ktls_install(pair.a, KTLS_DIR_TX, &params) < 0 ||
	    ktls_install(pair.b, KTLS_DIR_RX, &params) < 0)
		goto out;
	if (send(pair.a, ping, sizeof(ping), MSG_NOSIGNAL) != (ssize_t)sizeof(ping)) {
		ktls_fail(errno ? errno : EIO, "probe: send over kTLS failed: %s", strerror(errno));
		goto out;
	}
	got = ktls_recv_record(pair.b, buf, sizeof(buf), MSG_WAITALL, &type);
	if (got != (ssize_t)sizeof(ping) || type != KTLS_RECORD_APPLICATION_DATA ||
	    memcmp(buf, ping, sizeof(ping))) {
		if (got >= 0)
			ktls_fail(EIO, "probe: record did not round-trip through kTLS");
		goto out;
	}
	rc = 0;
out:
	ktls_params_wipe(&params);
	pair_close(&pair);
	return rc;
}
