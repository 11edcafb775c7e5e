// SPDX-License-Identifier: LGPL-2.1-or-later
/* /proc/net/tls_stat: one "Name<blanks>value" line per counter. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support_tls_stat.h"

static long long tls_stat_value(const char *text, const char *name)
{
	size_t name_len = strlen(name);

	for (const char *line = text; *line;) {
		if (!strncmp(line, name, name_len) && (line[name_len] == ' ' || line[name_len] == '\t'))
			return strtoll(line + name_len, NULL, 10);
		line = strchr(line, '\n');
		if (!line)
			break;
		line++;
	}
	return -1;
}

void tls_counters_read(struct tls_counters *c)
{
	char text[4096];
	FILE *f = fopen("/proc/net/tls_stat", "r");
	size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;

	if (f)
		fclose(f);
	text[n] = '\0';
	c->tx_sw = tls_stat_value(text, "TlsTxSw");
	c->rx_sw = tls_stat_value(text, "TlsRxSw");
	c->curr_tx_sw = tls_stat_value(text, "TlsCurrTxSw");
	c->curr_rx_sw = tls_stat_value(text, "TlsCurrRxSw");
	c->decrypt_error = tls_stat_value(text, "TlsDecryptError");
}
