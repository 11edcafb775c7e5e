/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A failed handshake's GnuTLS error -> -errno and reason (hs_failure.c). */
#ifndef KTLSD_HS_FAILURE_H
#define KTLSD_HS_FAILURE_H

#include <stddef.h>

/* What the session knew when GnuTLS failed. */
struct hs_failure_facts {
	const char *failure;		/* our callbacks' own reason, or "" */
	int failure_errno;		/* with failure */
	int psk_only;			/* the profile authenticates by PSK only */
	const char *peer;		/* "server" (we are the client) or "client" */
	const char *server_name;	/* the name the server certificate must match */
	unsigned verify_status;		/* GnuTLS certificate status (GNUTLS_CERT_*) */
	int alert;			/* the peer's last alert (gnutls_alert_get) */
};

/* -errno for gerr, with the reason in reason; never lets a GnuTLS code
 * escape.  A reason our callbacks gave (failure) wins over gerr. */
int hs_failure_map(const struct hs_failure_facts *f, int gerr, char *reason, size_t reason_len);

#endif
