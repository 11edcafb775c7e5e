// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Why a handshake failed, as the caller sees it: one errno per cause (the
 * list in docs/architecture.md, "Distinct errors per failure cause") and a
 * reason a person can act on.  Pure: it reads only the facts it is given,
 * so tests/unit/test_hs_failure.c checks it case by case.
 */
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>

#include "engine/hs_failure.h"
#include "ktls.h"

/* errno + reason for a failed certificate check: each cause distinct. */
static int verify_failure(const struct hs_failure_facts *f, char *reason, size_t reason_len)
{
	unsigned status = f->verify_status;
	const char *who = f->peer;

	if (status & GNUTLS_CERT_UNEXPECTED_OWNER) {
		snprintf(reason, reason_len, "%s certificate does not match the name \"%s\"", who,
			 f->server_name);
		return -EACCES;
	}
	if (status & (GNUTLS_CERT_EXPIRED | GNUTLS_CERT_NOT_ACTIVATED)) {
		snprintf(reason, reason_len, "%s certificate %s", who, status & GNUTLS_CERT_EXPIRED
			 ? "has expired" : "is not yet valid");
		return -EKEYEXPIRED;
	}
	if (status & GNUTLS_CERT_REVOKED) {
		snprintf(reason, reason_len, "%s certificate is revoked", who);
		return -EKEYREVOKED;
	}
	if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA)) {
		snprintf(reason, reason_len, "%s certificate is not signed by a trusted CA", who);
		return -EKEYREJECTED;
	}
	snprintf(reason, reason_len, "%s certificate verification failed (status 0x%x)", who,
		 status);
	return -EKEYREJECTED;
}

static int alert_failure(const struct hs_failure_facts *f, char *reason, size_t reason_len)
{
	int alert = f->alert;

	snprintf(reason, reason_len, "peer sent fatal alert %s", ktls_alert_name((uint8_t)alert));
	switch (alert) {
	case GNUTLS_A_BAD_CERTIFICATE:
	case GNUTLS_A_UNKNOWN_CA:
	case GNUTLS_A_CERTIFICATE_REQUIRED:
	case GNUTLS_A_CERTIFICATE_UNKNOWN:
	case GNUTLS_A_DECRYPT_ERROR:
	case GNUTLS_A_ACCESS_DENIED:
		return -EACCES;
	case GNUTLS_A_UNKNOWN_PSK_IDENTITY:
		return -ENOKEY;
	case GNUTLS_A_PROTOCOL_VERSION:
	case GNUTLS_A_HANDSHAKE_FAILURE:
	case GNUTLS_A_INSUFFICIENT_SECURITY:
		return -EPROTONOSUPPORT;
	default:
		return -ECONNREFUSED;
	}
}

int hs_failure_map(const struct hs_failure_facts *f, int gerr, char *reason, size_t reason_len)
{
	if (f->failure[0]) {
		snprintf(reason, reason_len, "%s", f->failure);
		return -f->failure_errno;
	}
	/* A PSK-only session has no certificate credentials: this is how
	 * GnuTLS says the peer wanted to use a certificate instead. */
	if (f->psk_only && gerr == GNUTLS_E_INSUFFICIENT_CREDENTIALS) {
		snprintf(reason, reason_len,
			 "the profile authenticates by PSK only, and the %s did not "
			 "use a known PSK (psk_fallback = certificate would accept a certificate)",
			 f->peer);
		return -EACCES;
	}
	switch (gerr) {
	case GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR:
	case GNUTLS_E_CERTIFICATE_ERROR:
		return verify_failure(f, reason, reason_len);
	case GNUTLS_E_NO_CERTIFICATE_FOUND:
	case GNUTLS_E_CERTIFICATE_REQUIRED:	/* TLS 1.3's way of saying the same */
		snprintf(reason, reason_len,
			 "client sent no certificate but the profile requires one");
		return -EACCES;
	case GNUTLS_E_FATAL_ALERT_RECEIVED:
		return alert_failure(f, reason, reason_len);
	case GNUTLS_E_PREMATURE_TERMINATION:
	case GNUTLS_E_PUSH_ERROR:
	case GNUTLS_E_PULL_ERROR:
		snprintf(reason, reason_len, "peer closed the connection during the handshake");
		return -ECONNRESET;
	case GNUTLS_E_UNEXPECTED_PACKET_LENGTH:
	case GNUTLS_E_UNEXPECTED_PACKET:
	case GNUTLS_E_UNSUPPORTED_VERSION_PACKET:
	case GNUTLS_E_RECORD_OVERFLOW:
		snprintf(reason, reason_len, "peer does not speak TLS (%s)", gnutls_strerror(gerr));
		return -EPROTO;
	case GNUTLS_E_NO_CIPHER_SUITES:
	case GNUTLS_E_INSUFFICIENT_CREDENTIALS:
	case GNUTLS_E_NO_PRIORITIES_WERE_SET:
	case GNUTLS_E_UNSUPPORTED_SIGNATURE_ALGORITHM:
		snprintf(reason, reason_len,
			 "no common TLS version/cipher/credentials with the peer (%s)",
			 gnutls_strerror(gerr));
		return -EPROTONOSUPPORT;
	case GNUTLS_E_DECRYPTION_FAILED:
	case GNUTLS_E_KEY_USAGE_VIOLATION:
		snprintf(reason, reason_len, "handshake authentication failed (%s) - wrong PSK?",
			 gnutls_strerror(gerr));
		return -EACCES;
	case GNUTLS_E_SRP_PWD_ERROR:	/* our PSK callback found no such identity */
		snprintf(reason, reason_len, "unknown PSK identity");
		return -EKEYREJECTED;
	case GNUTLS_E_NO_APPLICATION_PROTOCOL:
		snprintf(reason, reason_len, "no common ALPN protocol with the peer");
		return -ENOPROTOOPT;
	case GNUTLS_E_PK_SIGN_FAILED:	/* our key process did not answer (keyproc_client.c) */
		snprintf(reason, reason_len,
			 "could not sign with the profile's key: the key process "
			 "did not sign (see ktlsd's log)");
		return -EIO;
	default:
		snprintf(reason, reason_len, "TLS handshake failed: %s", gnutls_strerror(gerr));
		return -EPROTO;
	}
}
