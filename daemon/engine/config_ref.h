/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The config in force, shared by reference: each job holds the one it
 * started with, so SIGHUP can swap configs while handshakes are in flight. */
#ifndef KTLSD_ENGINE_CONFIG_REF_H
#define KTLSD_ENGINE_CONFIG_REF_H

#include <stdatomic.h>

#include "config/config.h"

/* A config plus its loaded credentials, shared by reference. */
struct cfg_ref {
	struct cfg *cfg;
	atomic_uint refs;
};

struct cfg_ref *cfg_ref_current(void);	/* takes a reference */
void cfg_ref_put(struct cfg_ref *ref);
void cfg_ref_install(struct cfg_ref *ref);	/* becomes current; drops the old */

#endif
