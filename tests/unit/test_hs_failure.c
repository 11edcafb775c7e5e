// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hs_failure_map(), case by case: every GnuTLS error it names, every
 * certificate status and alert class, and the order in which causes win.
 * The expected errno values are the ones docs/architecture.md ("Distinct
 * errors per failure cause") and docs/libktls.3 promise callers, written
 * out here rather than taken from the code.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "engine/hs_failure.h"

static char reason[256];

static struct hs_failure_facts facts(void)
{
	return (struct hs_failure_facts){
		.failure = "", .peer = "server", .server_name = "www.example.com",
	};
}

static int map(const struct hs_failure_facts *f, int gerr)
{
	memset(reason, 'x', sizeof(reason));
	return hs_failure_map(f, gerr, reason, sizeof(reason));
}

#define assert_reason_has(needle) assert_non_null(strstr(reason, (needle)))

struct gerr_case {
	int gerr;
	int want;		/* -errno */
	const char *says;	/* in the reason */
};

static void check_cases(const struct gerr_case *c, size_t n)
{
	struct hs_failure_facts f = facts();

	for (size_t i = 0; i < n; i++) {
		int rc = map(&f, c[i].gerr);

		if (rc != c[i].want || !strstr(reason, c[i].says))
			fail_msg("GnuTLS error %d (%s): got %d \"%s\", want %d with \"%s\"",
				 c[i].gerr, gnutls_strerror(c[i].gerr), rc, reason, c[i].want,
				 c[i].says);
	}
}

static void test_gnutls_errors(void **state)
{
	static const struct gerr_case cases[] = {
		{ GNUTLS_E_NO_CERTIFICATE_FOUND, -EACCES, "client sent no certificate" },
		{ GNUTLS_E_CERTIFICATE_REQUIRED, -EACCES, "client sent no certificate" },
		{ GNUTLS_E_PREMATURE_TERMINATION, -ECONNRESET, "peer closed the connection" },
		{ GNUTLS_E_PUSH_ERROR, -ECONNRESET, "peer closed the connection" },
		{ GNUTLS_E_PULL_ERROR, -ECONNRESET, "peer closed the connection" },
		{ GNUTLS_E_UNEXPECTED_PACKET_LENGTH, -EPROTO, "peer does not speak TLS" },
		{ GNUTLS_E_UNEXPECTED_PACKET, -EPROTO, "peer does not speak TLS" },
		{ GNUTLS_E_UNSUPPORTED_VERSION_PACKET, -EPROTO, "peer does not speak TLS" },
		{ GNUTLS_E_RECORD_OVERFLOW, -EPROTO, "peer does not speak TLS" },
		{ GNUTLS_E_NO_CIPHER_SUITES, -EPROTONOSUPPORT, "no common TLS version" },
		{ GNUTLS_E_INSUFFICIENT_CREDENTIALS, -EPROTONOSUPPORT, "no common TLS version" },
		{ GNUTLS_E_NO_PRIORITIES_WERE_SET, -EPROTONOSUPPORT, "no common TLS version" },
		{ GNUTLS_E_UNSUPPORTED_SIGNATURE_ALGORITHM, -EPROTONOSUPPORT,
		  "no common TLS version" },
		{ GNUTLS_E_DECRYPTION_FAILED, -EACCES, "wrong PSK?" },
		{ GNUTLS_E_KEY_USAGE_VIOLATION, -EACCES, "wrong PSK?" },
		{ GNUTLS_E_SRP_PWD_ERROR, -EKEYREJECTED, "unknown PSK identity" },
		{ GNUTLS_E_NO_APPLICATION_PROTOCOL, -ENOPROTOOPT, "no common ALPN protocol" },
		{ GNUTLS_E_PK_SIGN_FAILED, -EIO, "the key process did not sign" },
		/* anything else: a protocol error with GnuTLS's own words */
		{ GNUTLS_E_MEMORY_ERROR, -EPROTO, "TLS handshake failed: " },
		{ GNUTLS_E_ILLEGAL_PARAMETER, -EPROTO, "TLS handshake failed: " },
	};

	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

/* Certificate verification: each status its own errno; the name mismatch
 * is checked first, then validity, revocation, the issuer. */
static void test_certificate_status(void **state)
{
	static const struct {
		unsigned status;
		int want;
		const char *says;
	} cases[] = {
		{ GNUTLS_CERT_INVALID | GNUTLS_CERT_UNEXPECTED_OWNER, -EACCES,
		  "server certificate does not match the name \"www.example.com\"" },
		{ GNUTLS_CERT_INVALID | GNUTLS_CERT_EXPIRED, -EKEYEXPIRED,
		  "server certificate has expired" },
		{ GNUTLS_CERT_INVALID | GNUTLS_CERT_NOT_ACTIVATED, -EKEYEXPIRED,
		  "server certificate is not yet valid" },
		{ GNUTLS_CERT_INVALID | GNUTLS_CERT_REVOKED, -EKEYREVOKED,
		  "server certificate is revoked" },
		{ GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND, -EKEYREJECTED,
		  "not signed by a trusted CA" },
		{ GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_CA, -EKEYREJECTED,
		  "not signed by a trusted CA" },
		{ GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNATURE_FAILURE, -EKEYREJECTED,
		  "verification failed (status 0x" },
		{ GNUTLS_CERT_UNEXPECTED_OWNER | GNUTLS_CERT_EXPIRED | GNUTLS_CERT_REVOKED,
		  -EACCES, "does not match the name" },
		{ GNUTLS_CERT_EXPIRED | GNUTLS_CERT_REVOKED | GNUTLS_CERT_SIGNER_NOT_FOUND,
		  -EKEYEXPIRED, "has expired" },
		{ GNUTLS_CERT_REVOKED | GNUTLS_CERT_SIGNER_NOT_FOUND, -EKEYREVOKED, "revoked" },
	};
	static const int gerrs[] = { GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR,
				     GNUTLS_E_CERTIFICATE_ERROR };
	struct hs_failure_facts f = facts();

	for (size_t g = 0; g < 2; g++) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			f.verify_status = cases[i].status;
			assert_int_equal(map(&f, gerrs[g]), cases[i].want);
			assert_reason_has(cases[i].says);
		}
	}
	/* as a server, the peer is the client */
	f.peer = "client";
	f.verify_status = GNUTLS_CERT_INVALID | GNUTLS_CERT_EXPIRED;
	assert_int_equal(map(&f, GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR), -EKEYEXPIRED);
	assert_reason_has("client certificate has expired");
}

static void test_alerts(void **state)
{
	static const struct {
		int alert;
		int want;
	} cases[] = {
		{ GNUTLS_A_BAD_CERTIFICATE, -EACCES },
		{ GNUTLS_A_UNKNOWN_CA, -EACCES },
		{ GNUTLS_A_CERTIFICATE_REQUIRED, -EACCES },
		{ GNUTLS_A_CERTIFICATE_UNKNOWN, -EACCES },
		{ GNUTLS_A_DECRYPT_ERROR, -EACCES },
		{ GNUTLS_A_ACCESS_DENIED, -EACCES },
		{ GNUTLS_A_UNKNOWN_PSK_IDENTITY, -ENOKEY },
		{ GNUTLS_A_PROTOCOL_VERSION, -EPROTONOSUPPORT },
		{ GNUTLS_A_HANDSHAKE_FAILURE, -EPROTONOSUPPORT },
		{ GNUTLS_A_INSUFFICIENT_SECURITY, -EPROTONOSUPPORT },
		{ GNUTLS_A_INTERNAL_ERROR, -ECONNREFUSED },
		{ GNUTLS_A_NO_APPLICATION_PROTOCOL, -ECONNREFUSED },
		{ GNUTLS_A_CERTIFICATE_EXPIRED, -ECONNREFUSED },
	};
	struct hs_failure_facts f = facts();

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		f.alert = cases[i].alert;
		assert_int_equal(map(&f, GNUTLS_E_FATAL_ALERT_RECEIVED), cases[i].want);
		assert_reason_has("peer sent fatal alert ");
	}
	f.alert = GNUTLS_A_HANDSHAKE_FAILURE;
	map(&f, GNUTLS_E_FATAL_ALERT_RECEIVED);
	assert_reason_has("handshake");
}

/* A PSK-only profile: GnuTLS's "insufficient credentials" means the peer
 * wanted a certificate, and says so (not "no common cipher"). */
static void test_psk_only_peer_wanted_certificate(void **state)
{
	struct hs_failure_facts f = facts();

	f.psk_only = 1;
	assert_int_equal(map(&f, GNUTLS_E_INSUFFICIENT_CREDENTIALS), -EACCES);
	assert_reason_has("authenticates by PSK only, and the server did not use a known PSK");
	f.peer = "client";
	assert_int_equal(map(&f, GNUTLS_E_INSUFFICIENT_CREDENTIALS), -EACCES);
	assert_reason_has("the client did not use a known PSK");
	/* other errors of a PSK-only profile map as usual */
	assert_int_equal(map(&f, GNUTLS_E_DECRYPTION_FAILED), -EACCES);
	assert_reason_has("wrong PSK?");
}

/* Our callbacks' own reason (e.g. the SNI or ACL check) wins over what
 * GnuTLS made of it. */
static void test_own_reason_wins(void **state)
{
	struct hs_failure_facts f = facts();

	f.failure = "uid 1000 gid 1000 may not use profile \"web\"";
	f.failure_errno = EPERM;
	f.psk_only = 1;
	f.verify_status = GNUTLS_CERT_INVALID | GNUTLS_CERT_EXPIRED;
	assert_int_equal(map(&f, GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR), -EPERM);
	assert_string_equal(reason, f.failure);
	assert_int_equal(map(&f, GNUTLS_E_INSUFFICIENT_CREDENTIALS), -EPERM);
	assert_string_equal(reason, f.failure);
}

/* A short buffer gets a cut, terminated reason; the errno is unchanged. */
static void test_short_reason_buffer(void **state)
{
	struct hs_failure_facts f = facts();
	char small[8];

	f.verify_status = GNUTLS_CERT_INVALID | GNUTLS_CERT_REVOKED;
	assert_int_equal(hs_failure_map(&f, GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR, small,
					sizeof(small)), -EKEYREVOKED);
	assert_string_equal(small, "server ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gnutls_errors),
		cmocka_unit_test(test_certificate_status),
		cmocka_unit_test(test_alerts),
		cmocka_unit_test(test_psk_only_peer_wanted_certificate),
		cmocka_unit_test(test_own_reason_wins),
		cmocka_unit_test(test_short_reason_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
