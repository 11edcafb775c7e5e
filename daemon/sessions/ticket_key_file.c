// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * [global] ticket_key_file, read the way every secret of ktlsd is read
 * (keys/secret_file.h): by the key process when there is one (the network
 * process's sandbox opens no file after start-up, and a reload must work
 * like the start), else here, after the owner/mode checks.
 */
#include <errno.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/reason.h"
#include "config/config.h"
#include "keys/keyproc.h"
#include "keys/secret_file.h"
#include "sessions/ticket_keys.h"

int ticket_key_load(const struct cfg *cfg, uint32_t generation, char *reason, size_t reason_len)
{
	gnutls_datum_t text = { NULL, 0 };
	uint8_t key[TICKET_KEY_SIZE];
	char why[512] = "";
	int fd, rc;

	if (!cfg->ticket_key_file)
		return ticket_keys_install(NULL);
	if (generation) {
		fd = keyproc_open(generation, 0, "ticket_key_file", KP_FILE_TICKET_KEY, why,
				  sizeof(why));
		rc = fd;
		if (fd >= 0) {
			rc = secret_file_read_fd(fd, cfg->ticket_key_file, &text, why, sizeof(why));
			close(fd);
		}
	} else {
		rc = secret_file_read("ticket_key_file", cfg->ticket_key_file, &text, why,
				      sizeof(why));
	}
	if (rc == 0)
		rc = ticket_key_parse((const char *)text.data, text.size, key, why, sizeof(why));
	if (text.data) {
		gnutls_memset(text.data, 0, text.size);
		gnutls_free(text.data);
	}
	if (rc == 0)
		rc = ticket_keys_install(key);
	explicit_bzero(key, sizeof(key));
	if (rc < 0)
		reason_set(reason, reason_len, "%s: %s", cfg->ticket_key_file,
			   why[0] ? why : strerror(-rc));
	return rc;
}
