// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * [kernel] keyrings against a fake keyutils (linked with -Wl,--wrap, see
 * test_keyring_link.wrap): which keyrings get linked into the process
 * keyring, that an unchanged list costs no system call, that a missing one
 * is not retried at once, that a reload unlinks what is no longer listed,
 * and that the per-request cleanup keeps the configured keyrings and
 * unlinks the consumer's.
 */
#include <errno.h>
#include <keyutils.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "keys/keyring.h"

/* The fake kernel: a few keys, and our process keyring's members. */
struct fake_key {
	key_serial_t serial;
	const char *type, *desc;
};

static const struct fake_key keys[] = {
	{ 100, "keyring", ".nvme" },
	{ 200, "keyring", "extra" },
	{ 300, "user", "not-a-keyring" },
	{ 400, "keyring", "consumer" },
};

static key_serial_t members[16];
static size_t n_members;
static int have_process_keyring;
static int syscalls, links, unlinks, clears;
static int link_error;		/* errno keyctl_link fails with, 0: none */

key_serial_t __wrap_find_key_by_type_and_desc(const char *type, const char *desc,
					      key_serial_t destringid);
long __wrap_keyctl_describe_alloc(key_serial_t id, char **buffer);
long __wrap_keyctl_link(key_serial_t id, key_serial_t ringid);
long __wrap_keyctl_unlink(key_serial_t id, key_serial_t ringid);
long __wrap_keyctl_read_alloc(key_serial_t id, void **buffer);
key_serial_t __wrap_keyctl_get_keyring_ID(key_serial_t id, int create);
long __wrap_keyctl_clear(key_serial_t ringid);

static const struct fake_key *key_by_serial(key_serial_t serial)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (keys[i].serial == serial)
			return &keys[i];
	return NULL;
}

key_serial_t __wrap_find_key_by_type_and_desc(const char *type, const char *desc,
					      key_serial_t destringid)
{
	syscalls++;
	assert_int_equal(destringid, 0);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].type, type) == 0 && strcmp(keys[i].desc, desc) == 0)
			return keys[i].serial;
	errno = ENOKEY;
	return -1;
}

long __wrap_keyctl_describe_alloc(key_serial_t id, char **buffer)
{
	const struct fake_key *k = key_by_serial(id);

	syscalls++;
	if (!k) {
		errno = ENOKEY;
		return -1;
	}
	assert_true(asprintf(buffer, "%s;0;0;3f010000;%s", k->type, k->desc) > 0);
	return (long)strlen(*buffer) + 1;
}

long __wrap_keyctl_link(key_serial_t id, key_serial_t ringid)
{
	syscalls++;
	assert_int_equal(ringid, KEY_SPEC_PROCESS_KEYRING);
	if (link_error) {
		errno = link_error;
		return -1;
	}
	have_process_keyring = 1;
	for (size_t i = 0; i < n_members; i++)
		if (members[i] == id)
			return 0;
	members[n_members++] = id;
	links++;
	return 0;
}

long __wrap_keyctl_unlink(key_serial_t id, key_serial_t ringid)
{
	syscalls++;
	assert_int_equal(ringid, KEY_SPEC_PROCESS_KEYRING);
	for (size_t i = 0; i < n_members; i++) {
		if (members[i] == id) {
			members[i] = members[--n_members];
			unlinks++;
			return 0;
		}
	}
	errno = ENOENT;
	return -1;
}

long __wrap_keyctl_read_alloc(key_serial_t id, void **buffer)
{
	syscalls++;
	assert_int_equal(id, KEY_SPEC_PROCESS_KEYRING);
	*buffer = malloc(sizeof(members) + 1);
	assert_non_null(*buffer);
	memcpy(*buffer, members, n_members * sizeof(members[0]));
	return (long)(n_members * sizeof(members[0]));
}

key_serial_t __wrap_keyctl_get_keyring_ID(key_serial_t id, int create)
{
	syscalls++;
	assert_int_equal(id, KEY_SPEC_PROCESS_KEYRING);
	if (!have_process_keyring) {
		errno = ENOKEY;
		return -1;
	}
	return 9999;
}

long __wrap_keyctl_clear(key_serial_t ringid)
{
	syscalls++;
	assert_int_equal(ringid, KEY_SPEC_PROCESS_KEYRING);
	n_members = 0;
	clears++;
	return 0;
}

static int reset(void **state)
{
	char *none[1] = { NULL };

	keyring_link_configured(none, 0);	/* unlinks the last test's */
	n_members = 0;
	have_process_keyring = 0;
	syscalls = links = unlinks = clears = link_error = 0;
	return 0;
}

static int has_member(key_serial_t serial)
{
	for (size_t i = 0; i < n_members; i++)
		if (members[i] == serial)
			return 1;
	return 0;
}

static void test_links_names_and_serials(void **state)
{
	char *list[] = { ".nvme", "200" };

	keyring_link_configured(list, 2);
	assert_int_equal(links, 2);
	assert_true(has_member(100));
	assert_true(has_member(200));
	assert_int_equal(keyring_configured_linked(), 2);
	/* the same list again: nothing to do, not even a lookup */
	syscalls = 0;
	keyring_link_configured(list, 2);
	assert_int_equal(syscalls, 0);
}

/* Missing, not a keyring, or not linkable: skipped, the rest linked, and
 * not looked up again right away. */
static void test_unusable_ones_are_skipped(void **state)
{
	char *list[] = { "no-such", "300", "12345", "extra" };

	keyring_link_configured(list, 4);
	assert_int_equal(links, 1);
	assert_true(has_member(200));
	assert_int_equal(keyring_configured_linked(), 1);
	syscalls = 0;
	keyring_link_configured(list, 4);
	assert_int_equal(syscalls, 0);	/* retried after KR_RELINK_MS only */
}

static void test_link_refused(void **state)
{
	char *list[] = { ".nvme" };

	link_error = EACCES;
	keyring_link_configured(list, 1);
	assert_int_equal(keyring_configured_linked(), 0);
	assert_int_equal(n_members, 0);
}

/* A reload that changes the list unlinks what is no longer listed. */
static void test_reload_relinks(void **state)
{
	char *before[] = { ".nvme", "extra" }, *after[] = { "extra" };

	keyring_link_configured(before, 2);
	assert_int_equal(n_members, 2);
	keyring_link_configured(after, 1);
	assert_false(has_member(100));
	assert_true(has_member(200));
	assert_int_equal(keyring_configured_linked(), 1);
}

/* After a request: the consumer's keyring goes, configured ones stay. */
static void test_forget_keeps_configured(void **state)
{
	char *list[] = { "extra" };

	keyring_link_configured(list, 1);
	members[n_members++] = 400;	/* what the kernel linked at ACCEPT */
	keyring_forget_linked();
	assert_int_equal(n_members, 1);
	assert_true(has_member(200));
	assert_int_equal(clears, 0);
	assert_int_equal(keyring_process_keyring(), 9999);
}

static void test_forget_without_configured_clears(void **state)
{
	keyring_forget_linked();	/* no process keyring: nothing to do */
	assert_int_equal(clears, 0);
	have_process_keyring = 1;
	members[n_members++] = 400;
	keyring_forget_linked();
	assert_int_equal(clears, 1);
	assert_int_equal(n_members, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_links_names_and_serials, reset),
		cmocka_unit_test_setup(test_unusable_ones_are_skipped, reset),
		cmocka_unit_test_setup(test_link_refused, reset),
		cmocka_unit_test_setup(test_reload_relinks, reset),
		cmocka_unit_test_setup(test_forget_keeps_configured, reset),
		cmocka_unit_test_setup(test_forget_without_configured_clears, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
