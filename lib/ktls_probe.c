// SPDX-License-Identifier: LGPL-2.1-or-later
/* Probe what the running kernel's kTLS can do, on a loopback TCP pair. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "ktls_internal.h"
#include "ktls_loopback.h"

/* A record that does not come back within this long failed the probe,
 * instead of hanging the caller on a kernel that swallowed it. */
#define PROBE_TIMEOUT_S 2
#define PROBE_KEY_SEED 0x5a

int ktls_probe(enum ktls_version version, enum ktls_cipher cipher)
{
	static const char ping[] = "ktls-probe";
	struct ktls_crypto_params params;
	struct ktls_loopback_pair pair;
	char buf[sizeof(ping)];
	uint8_t type = 0;
	ssize_t got;
	int rc = -1;

	ktls_clear_error();
	if (ktls_loopback_pair_open(&pair, PROBE_TIMEOUT_S) < 0)
		return -1;
	/* one key for both ends: the client's TX is the server's RX */
	ktls_params_throwaway(&params, version, cipher, PROBE_KEY_SEED);
	if (ktls_install(pair.client, KTLS_DIR_TX, &params) < 0 ||
	    ktls_install(pair.server, KTLS_DIR_RX, &params) < 0)
		goto out;
	if (send(pair.client, ping, sizeof(ping), MSG_NOSIGNAL) != (ssize_t)sizeof(ping)) {
		ktls_fail(errno ? errno : EIO, "probe: send over kTLS failed: %s", strerror(errno));
		goto out;
	}
	got = ktls_recv_record(pair.server, buf, sizeof(buf), MSG_WAITALL, &type);
	if (got != (ssize_t)sizeof(ping) || type != KTLS_RECORD_APPLICATION_DATA ||
	    memcmp(buf, ping, sizeof(ping))) {
		if (got >= 0)
			ktls_fail(EIO, "probe: record did not round-trip through kTLS");
		goto out;
	}
	rc = 0;
out:
	ktls_params_wipe(&params);
	ktls_loopback_pair_close(&pair);
	return rc;
}
