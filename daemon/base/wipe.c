// SPDX-License-Identifier: GPL-2.0-or-later
/* Wiping secret datums (base/wipe.h). */
#include <stdlib.h>

#include "base/wipe.h"

void wipe_datum(gnutls_datum_t *d)
{
	if (d->data) {
		gnutls_memset(d->data, 0, d->size);
		free(d->data);
	}
	d->data = NULL;
	d->size = 0;
}
