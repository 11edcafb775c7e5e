// SPDX-License-Identifier: GPL-2.0-or-later
/* The config in force, shared by reference (engine/config_ref.h): the last
 * reference frees the config and its credentials. */
#include <pthread.h>
#include <stdlib.h>

#include "engine/config_ref.h"
#include "keys/creds.h"

static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cfg_ref *current;

struct cfg_ref *cfg_ref_current(void)
{
	struct cfg_ref *ref;

	pthread_mutex_lock(&current_lock);
	ref = current;
	if (ref)
		atomic_fetch_add(&ref->refs, 1);
	pthread_mutex_unlock(&current_lock);
	return ref;
}

void cfg_ref_put(struct cfg_ref *ref)
{
	if (!ref || atomic_fetch_sub(&ref->refs, 1) != 1)
		return;
	creds_free_all(ref->cfg);
	cfg_free(ref->cfg);
	free(ref);
}

void cfg_ref_install(struct cfg_ref *ref)
{
	struct cfg_ref *old;

	pthread_mutex_lock(&current_lock);
	old = current;
	current = ref;
	pthread_mutex_unlock(&current_lock);
	cfg_ref_put(old);
}
