// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TLS material every arm shares: certificates generated here (so the bench
 * needs no openssl binary for itself), one priority string per cipher, and
 * in-process GnuTLS handshakes whose keys can be moved into the kernel.
 *
 * Every arm negotiates the same thing: TLS 1.3, the cipher under test,
 * X25519, the same certificate, no session tickets (a ticket is a record the
 * sender would write after the handshake; leaving them out keeps the data
 * path identical for all arms -- OpenSSL and nginx still send theirs, which
 * the clients skip).  The handshake bench's resumed arms are the exception:
 * tls_session_new_resumable() and tls_collect_ticket().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "ktls_gnutls.h"
#include "support_io.h"

#define CERT_VALID_S (2 * 24 * 3600)

const char *cert_kind_name(enum cert_kind kind)
{
	switch (kind) {
	case CERT_ECDSA_P256: return "ECDSA-P256";
	case CERT_RSA_2048: return "RSA-2048";
	}
	return "?";
}

void bench_priority(int cipher, char *buf, size_t len)
{
	snprintf(buf, len, "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+%s:-GROUP-ALL:+GROUP-X25519",
		 ktls_cipher_name(cipher));
}

const char *openssl_suite_name(int cipher)
{
	switch (cipher) {
	case KTLS_CIPHER_AES_128_GCM: return "TLS_AES_128_GCM_SHA256";
	case KTLS_CIPHER_AES_256_GCM: return "TLS_AES_256_GCM_SHA384";
	case KTLS_CIPHER_AES_128_CCM: return "TLS_AES_128_CCM_SHA256";
	case KTLS_CIPHER_CHACHA20_POLY1305: return "TLS_CHACHA20_POLY1305_SHA256";
	}
	return NULL;
}

/* ---- certificates ---------------------------------------------------------------- */

static int write_file(const char *path, const gnutls_datum_t *d, mode_t mode)
{
	int fd, rc;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	rc = io_write_all(fd, d->data, d->size);
	if (close(fd) < 0)
		rc = -1;
	return rc;
}

static int generate_key(gnutls_x509_privkey_t key, enum cert_kind kind)
{
	switch (kind) {
	case CERT_ECDSA_P256:
		return gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
			GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
	case CERT_RSA_2048:
		return gnutls_x509_privkey_generate(key, GNUTLS_PK_RSA, 2048, 0);
	}
	return GNUTLS_E_INVALID_REQUEST;
}

/* A self-signed server certificate: clients trust exactly this certificate. */
static int fill_certificate(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, enum cert_kind kind)
{
	static const uint8_t loopback[4] = { 127, 0, 0, 1 };
	unsigned usage = GNUTLS_KEY_DIGITAL_SIGNATURE |
			 (kind == CERT_RSA_2048 ? GNUTLS_KEY_KEY_ENCIPHERMENT : 0);
	uint8_t serial[8];
	time_t now = time(NULL);
	int rc;

	gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial));
	serial[0] &= 0x7f;	/* a positive integer */
	if ((rc = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
	    (rc = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial))) < 0 ||
	    (rc = gnutls_x509_crt_set_activation_time(crt, now - 3600)) < 0 ||
	    (rc = gnutls_x509_crt_set_expiration_time(crt, now + CERT_VALID_S)) < 0 ||
	    (rc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
						BENCH_SERVER_NAME, strlen(BENCH_SERVER_NAME))) < 0 ||
	    (rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, BENCH_SERVER_NAME,
						       strlen(BENCH_SERVER_NAME),
						       GNUTLS_FSAN_SET)) < 0 ||
	    (rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, loopback,
						       sizeof(loopback), GNUTLS_FSAN_APPEND)) < 0 ||
	    (rc = gnutls_x509_crt_set_key(crt, key)) < 0 ||
	    (rc = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) < 0 ||
	    (rc = gnutls_x509_crt_set_key_usage(crt, usage)) < 0 ||
	    (rc = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0)
		return rc;
	return gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
}

static int export_pair(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, struct cert_files *out)
{
	gnutls_datum_t cert_pem = { NULL, 0 }, key_pem = { NULL, 0 };
	int rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cert_pem);

	if (rc >= 0)
		rc = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &key_pem);
	if (rc >= 0 && (write_file(out->cert, &cert_pem, 0644) < 0 ||
			write_file(out->key, &key_pem, 0600) < 0))
		rc = GNUTLS_E_FILE_ERROR;
	if (key_pem.data)
		gnutls_memset(key_pem.data, 0, key_pem.size);
	gnutls_free(cert_pem.data);
	gnutls_free(key_pem.data);
	return rc;
}

int certs_generate(const char *dir, enum cert_kind kind, struct cert_files *out)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	const char *tag = kind == CERT_ECDSA_P256 ? "ecdsa" : "rsa";
	int rc;

	snprintf(out->cert, sizeof(out->cert), "%s/%s.pem", dir, tag);
	snprintf(out->key, sizeof(out->key), "%s/%s.key", dir, tag);
	if ((rc = gnutls_x509_privkey_init(&key)) < 0 || (rc = gnutls_x509_crt_init(&crt)) < 0 ||
	    (rc = generate_key(key, kind)) < 0 || (rc = fill_certificate(crt, key, kind)) < 0 ||
	    (rc = export_pair(crt, key, out)) < 0)
		bench_warn("generating the %s certificate in %s: %s", cert_kind_name(kind), dir,
			   gnutls_strerror(rc));
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (key)
		gnutls_x509_privkey_deinit(key);
	return rc < 0 ? -1 : 0;
}

/* ---- credentials and sessions ------------------------------------------------------- */

int tls_creds_load(const struct cert_files *files, struct tls_peer_creds *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = gnutls_certificate_allocate_credentials(&out->server)) < 0 ||
	    (rc = gnutls_certificate_allocate_credentials(&out->client)) < 0 ||
	    (rc = gnutls_certificate_set_x509_key_file(out->server, files->cert, files->key,
							GNUTLS_X509_FMT_PEM)) < 0 ||
	    (rc = gnutls_certificate_set_x509_trust_file(out->client, files->cert,
							  GNUTLS_X509_FMT_PEM)) < 0) {
		bench_warn("loading %s: %s", files->cert, gnutls_strerror(rc));
		tls_creds_free(out);
		return -1;
	}
	return 0;
}

void tls_creds_free(struct tls_peer_creds *c)
{
	if (c->server)
		gnutls_certificate_free_credentials(c->server);
	if (c->client)
		gnutls_certificate_free_credentials(c->client);
	c->server = c->client = NULL;
}

static int session_open(gnutls_session_t *out, int fd, int server, int cipher,
			gnutls_certificate_credentials_t cred, unsigned flags)
{
	gnutls_session_t s;
	char priority[160];
	int rc;

	bench_priority(cipher, priority, sizeof(priority));
	if ((rc = gnutls_init(&s, (server ? GNUTLS_SERVER : GNUTLS_CLIENT) | flags)) < 0)
		return rc;
	if ((rc = gnutls_priority_set_direct(s, priority, NULL)) < 0 ||
	    (rc = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred)) < 0 ||
	    (!server && (rc = gnutls_server_name_set(s, GNUTLS_NAME_DNS, BENCH_SERVER_NAME,
						     strlen(BENCH_SERVER_NAME))) < 0)) {
		gnutls_deinit(s);
		return rc;
	}
	if (!server)
		gnutls_session_set_verify_cert(s, BENCH_SERVER_NAME, 0);
	gnutls_transport_set_int(s, fd);
	gnutls_handshake_set_timeout(s, BENCH_IO_TIMEOUT_S * 1000);
	*out = s;
	return 0;
}

int tls_session_new(gnutls_session_t *out, int fd, int server, int cipher,
		    gnutls_certificate_credentials_t cred)
{
	return session_open(out, fd, server, cipher, cred, GNUTLS_NO_TICKETS);
}

int tls_session_new_resumable(gnutls_session_t *out, int fd, int server, int cipher,
			      gnutls_certificate_credentials_t cred,
			      const gnutls_datum_t *ticket_key, const gnutls_datum_t *resume)
{
	int rc = session_open(out, fd, server, cipher, cred, 0);

	if (rc < 0)
		return rc;
	if (server)
		rc = gnutls_session_ticket_enable_server(*out, ticket_key);
	else if (resume && resume->size)
		rc = gnutls_session_set_data(*out, resume->data, resume->size);
	if (rc < 0) {
		gnutls_deinit(*out);
		*out = NULL;
	}
	return rc;
}

/*
 * A TLS 1.3 ticket is used once (RFC 8446 C.4): a client that wants to
 * resume again needs the NewSessionTicket the server sends after each
 * handshake, resumed or not.  It arrives after the client's Finished, so
 * gnutls_handshake() has returned before it; read records until GnuTLS has
 * taken one (GNUTLS_SFLAGS_SESSION_TICKET), then export the session.  Each
 * read is preceded by poll(), so a blocking socket never waits past
 * timeout_ms; GnuTLS reads a record's header and then exactly its body, so
 * nothing behind the ticket is buffered in userspace (tls_install checks).
 * *out is replaced (gnutls_free); a ticket equal to the one before means
 * the server's ticket was not refreshed: that is an error here.
 */
int tls_collect_ticket(gnutls_session_t s, int fd, gnutls_datum_t *out, int timeout_ms)
{
	double give_up = now_s() + timeout_ms / 1000.0;
	gnutls_datum_t fresh = { NULL, 0 };
	int rc;

	while (!(gnutls_session_get_flags(s) & GNUTLS_SFLAGS_SESSION_TICKET)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int left_ms = (int)((give_up - now_s()) * 1000);
		char byte;
		ssize_t n;

		if (left_ms <= 0 || poll(&pfd, 1, left_ms) <= 0)
			return GNUTLS_E_TIMEDOUT;
		n = gnutls_record_recv(s, &byte, 1);
		if (n > 0)
			return GNUTLS_E_UNEXPECTED_PACKET;	/* data before the ticket */
		if (n == 0)
			return GNUTLS_E_PREMATURE_TERMINATION;
		if (n != GNUTLS_E_AGAIN && n != GNUTLS_E_INTERRUPTED &&
		    gnutls_error_is_fatal((int)n))
			return (int)n;
	}
	if ((rc = gnutls_session_get_data2(s, &fresh)) < 0)
		return rc;
	rc = out->data && out->size == fresh.size && !memcmp(out->data, fresh.data, fresh.size)
		     ? GNUTLS_E_INVALID_SESSION : 0;
	if (rc == 0) {
		gnutls_datum_t old = *out;

		*out = fresh;
		fresh = old;
	}
	/* session data hold the resumption secret */
	if (fresh.data)
		gnutls_memset(fresh.data, 0, fresh.size);
	gnutls_free(fresh.data);
	return rc;
}

int tls_handshake(gnutls_session_t session)
{
	int rc;

	do
		rc = gnutls_handshake(session);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	return rc;
}

struct server_side {
	gnutls_session_t session;
	int rc;
};

static void *server_handshake_thread(void *arg)
{
	struct server_side *s = arg;

	s->rc = tls_handshake(s->session);
	return NULL;
}

int tls_handshake_pair(int server_fd, int client_fd, int cipher, const struct tls_peer_creds *c,
		       gnutls_session_t *server_out, gnutls_session_t *client_out)
{
	struct server_side srv = { NULL, 0 };
	gnutls_session_t cli = NULL;
	pthread_t tid;
	int rc;

	if ((rc = tls_session_new(&srv.session, server_fd, 1, cipher, c->server)) < 0 ||
	    (rc = tls_session_new(&cli, client_fd, 0, cipher, c->client)) < 0)
		goto fail;
	if ((rc = pthread_create(&tid, NULL, server_handshake_thread, &srv)) != 0) {
		rc = GNUTLS_E_INTERNAL_ERROR;
		goto fail;
	}
	rc = tls_handshake(cli);
	pthread_join(tid, NULL);
	if (rc >= 0)
		rc = srv.rc;
	if (rc < 0)
		goto fail;
	*server_out = srv.session;
	*client_out = cli;
	return 0;
fail:
	bench_warn("in-process handshake (%s): %s", ktls_cipher_name(cipher), gnutls_strerror(rc));
	if (srv.session)
		gnutls_deinit(srv.session);
	if (cli)
		gnutls_deinit(cli);
	return -1;
}

/* GnuTLS reads records exactly, and we asked for no tickets, so nothing can
 * be buffered in GnuTLS that the kernel would then miss; check anyway. */
int tls_install(gnutls_session_t session, int fd, int rx_only)
{
	struct ktls_crypto_params tx, rx;
	int rc = -1;

	if (gnutls_record_check_pending(session) > 0) {
		bench_warn("GnuTLS holds %zu received bytes: cannot hand the session to the kernel",
			   gnutls_record_check_pending(session));
		return -1;
	}
	if (ktls_params_from_gnutls(session, KTLS_DIR_TX, &tx) < 0 ||
	    ktls_params_from_gnutls(session, KTLS_DIR_RX, &rx) < 0) {
		bench_warn("ktls_params_from_gnutls: %s", ktls_errmsg());
	} else {
		rc = rx_only ? ktls_install(fd, KTLS_DIR_RX, &rx) : ktls_install_both(fd, &tx, &rx);
		if (rc < 0)
			bench_warn("installing kTLS %s: %s", rx_only ? "RX" : "TX+RX",
				   ktls_errmsg());
	}
	ktls_params_wipe(&tx);
	ktls_params_wipe(&rx);
	return rc;
}
