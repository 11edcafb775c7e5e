// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * PSK files for creds.c: parsed into the profile's struct creds, looked up
 * by identity, and handed to GnuTLS through its server callback.
 */
#include <errno.h>
#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "base/reason.h"
#include "base/wipe.h"
#include "keys/creds.h"
#include "keys/creds_internal.h"
#include "keys/secret_file.h"

#define PSK_KEY_MIN 16
#define PSK_KEY_MAX 64
#define PSK_IDENTITY_MAX 128

/* ---- PSK files: "identity:hexkey" per line ---- */

static const struct psk_entry *find_psk(const struct creds *c, const void *id, size_t len)
{
	for (size_t i = 0; c && i < c->n_psk; i++)
		if (strlen(c->psk[i].identity) == len && memcmp(c->psk[i].identity, id, len) == 0)
			return &c->psk[i];
	return NULL;
}

const struct psk_entry *creds_find_psk(const struct creds *c, const char *identity)
{
	return identity ? find_psk(c, identity, strlen(identity)) : NULL;
}

/* Never quotes the key in a message. */
static const char *check_psk_line(const char *identity, size_t id_len, const char *hex,
				  size_t hex_len)
{
	if (id_len == 0)
		return "empty identity: write identity:hexkey";
	if (id_len > PSK_IDENTITY_MAX)
		return "identity longer than 128 bytes";
	for (size_t i = 0; i < id_len; i++)
		if ((unsigned char)identity[i] <= ' ' || identity[i] == 0x7f)
			return "identity has a blank or control character";
	for (size_t i = 0; i < hex_len; i++)
		if (hex_digit_value(hex[i]) < 0)
			return "key is not hexadecimal";
	if (hex_len % 2)
		return "key has an odd number of hex digits";
	if (hex_len / 2 < PSK_KEY_MIN || hex_len / 2 > PSK_KEY_MAX)
		return "key must be 16 to 64 bytes (32 to 128 hex digits)";
	return NULL;
}

static int add_psk(struct creds *c, const char *identity, size_t id_len, const char *hex,
		   size_t hex_len)
{
	struct psk_entry *grown, *e;

	grown = reallocarray(c->psk, c->n_psk + 1, sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	c->psk = grown;
	e = &c->psk[c->n_psk];
	e->identity = strndup(identity, id_len);
	e->key.size = (unsigned)(hex_len / 2);
	e->key.data = malloc(e->key.size);
	if (!e->identity || !e->key.data) {
		free(e->identity);
		free(e->key.data);
		return -ENOMEM;
	}
	for (size_t i = 0; i < e->key.size; i++)
		e->key.data[i] = (unsigned char)(hex_digit_value(hex[2 * i]) << 4 |
						 hex_digit_value(hex[2 * i + 1]));
	c->n_psk++;
	return 0;
}

/* One line (no newline); blank lines and # comments are skipped. */
static int parse_psk_line(struct creds *c, const char *path, unsigned lineno, char *line,
			  char *reason, size_t reason_len)
{
	char *end = line + strlen(line), *colon;
	const char *problem, *hex;
	size_t id_len;

	while (end > line && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	line += strspn(line, " \t");
	if (!*line || *line == '#')
		return 0;
	colon = strchr(line, ':');
	if (!colon) {
		reason_set(reason, reason_len, "%s:%u: expected identity:hexkey", path, lineno);
		return -EINVAL;
	}
	id_len = (size_t)(colon - line);
	while (id_len && (line[id_len - 1] == ' ' || line[id_len - 1] == '\t'))
		id_len--;
	hex = colon + 1 + strspn(colon + 1, " \t");
	problem = check_psk_line(line, id_len, hex, strlen(hex));
	if (!problem && find_psk(c, line, id_len))
		problem = "duplicate identity";
	if (problem) {
		reason_set(reason, reason_len, "%s:%u: %s", path, lineno, problem);
		return -EINVAL;
	}
	if (add_psk(c, line, id_len, hex, strlen(hex)) < 0) {
		reason_set(reason, reason_len, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static int parse_psk_text(struct creds *c, const char *path, char *text, char *reason,
			  size_t reason_len)
{
	unsigned lineno = 1;
	char *line = text, *nl;
	int rc = 0;

	for (; rc == 0 && line; lineno++, line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		rc = parse_psk_line(c, path, lineno, line, reason, reason_len);
	}
	if (rc == 0 && c->n_psk == 0) {
		reason_set(reason, reason_len, "%s: no PSK entries (write identity:hexkey lines)",
			   path);
		rc = -EINVAL;
	}
	return rc;
}

/* GnuTLS's PSK server callback: the session's pointer (gnutls_session_set_ptr)
 * is the struct creds of the profile in use. */
int creds_psk_server_lookup(gnutls_session_t session, const gnutls_datum_t *username,
			    gnutls_datum_t *key)
{
	const struct creds *c = gnutls_session_get_ptr(session);
	const struct psk_entry *e = find_psk(c, username->data, username->size);

	if (!e)
		return -1;
	key->data = gnutls_malloc(e->key.size);
	if (!key->data)
		return -1;
	memcpy(key->data, e->key.data, e->key.size);
	key->size = e->key.size;
	return 0;
}

int creds_load_psk(struct creds *c, const struct cfg_profile *p, uint32_t index, char *reason,
		   size_t reason_len)
{
	gnutls_datum_t text = { NULL, 0 };
	char why[768];
	int rc = creds_read_file(c, p, index, KP_FILE_PSK, &text, why, sizeof(why));

	if (rc < 0) {
		reason_set(reason, reason_len, "profile %s: %s", p->name, why);
		return rc;
	}
	rc = parse_psk_text(c, p->psk_file, (char *)text.data, reason, reason_len);
	wipe_datum(&text);
	if (rc < 0)
		return rc;
	if (gnutls_psk_allocate_server_credentials(&c->psk_server) < 0)
		goto nomem;
	gnutls_psk_set_server_credentials_function2(c->psk_server, creds_psk_server_lookup);
	if (!(p->roles & CFG_ROLE_CLIENT))
		return 0;
	/* The first identity is a client's default; requests may name another. */
	if (gnutls_psk_allocate_client_credentials(&c->psk_client) < 0 ||
	    gnutls_psk_set_client_credentials(c->psk_client, c->psk[0].identity,
					      &c->psk[0].key, GNUTLS_PSK_KEY_RAW) < 0)
		goto nomem;
	return 0;
nomem:
	reason_set(reason, reason_len, "profile %s: cannot set up PSK credentials", p->name);
	return -ENOMEM;
}
