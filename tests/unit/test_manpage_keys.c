// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktlsd.conf(5) against the parser: every key config.c accepts in [global],
 * [kernel] and [profile NAME] must have its entry ('.BI "KEY = "') in that
 * section of docs/ktlsd.conf.5, and every entry there must be a key the
 * parser accepts, so the page can neither lag behind the code nor
 * document a key that does not exist.  Run from the source tree's root
 * (tests/run-check does).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"

#define MANPAGE "docs/ktlsd.conf.5"
#define GLOBAL_HEADING ".SH \"[global]\""
#define KERNEL_HEADING ".SH \"[kernel]\""
#define PROFILE_HEADING ".SH \"[profile NAME]\""
#define ENTRY_PREFIX ".BI \""
#define ENTRY_SUFFIX " = \""

static char *page;

static int read_page(void **state)
{
	FILE *f = fopen(MANPAGE, "re");
	long size;

	if (!f) {
		fprintf(stderr, "# cannot open %s (run from the source root): %s\n", MANPAGE,
			strerror(errno));
		return -1;
	}
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	page = calloc(1, (size_t)size + 1);
	if (!page || fread(page, 1, (size_t)size, f) != (size_t)size) {
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

static int free_page(void **state)
{
	free(page);
	return 0;
}

/* The text of one .SH section: from its heading to the next .SH. */
static char *section(const char *heading)
{
	const char *start = strstr(page, heading), *end;

	if (!start)
		return NULL;
	start += strlen(heading);
	end = strstr(start, "\n.SH ");
	return strndup(start, end ? (size_t)(end - start) : strlen(start));
}

static int has_entry(const char *text, const char *key)
{
	char line[128];

	snprintf(line, sizeof(line), "\n" ENTRY_PREFIX "%s" ENTRY_SUFFIX, key);
	return strstr(text, line) != NULL;
}

static int is_key(const char *const *keys, const char *name, size_t len)
{
	for (; *keys; keys++)
		if (strlen(*keys) == len && strncmp(*keys, name, len) == 0)
			return 1;
	return 0;
}

static void check_section(const char *heading, const char *const *keys)
{
	char *text = section(heading);
	int missing = 0, unknown = 0;

	if (!text)
		fail_msg("%s has no section %s", MANPAGE, heading);
	for (const char *const *k = keys; *k; k++) {
		if (!has_entry(text, *k)) {
			fprintf(stderr, "# %s: key \"%s\" is not documented under %s\n", MANPAGE,
				*k, heading);
			missing++;
		}
	}
	/* and the other way round: no entry for a key that does not exist */
	for (const char *e = strstr(text, "\n" ENTRY_PREFIX); e;
	     e = strstr(e + 1, "\n" ENTRY_PREFIX)) {
		const char *name = e + strlen("\n" ENTRY_PREFIX), *end = strstr(name, ENTRY_SUFFIX);
		size_t len = end ? (size_t)(end - name) : 0;

		if (end && !memchr(name, '\n', len) && !is_key(keys, name, len)) {
			fprintf(stderr, "# %s: \"%.*s\" under %s is not a key ktlsd accepts\n",
				MANPAGE, (int)len, name, heading);
			unknown++;
		}
	}
	free(text);
	assert_int_equal(missing, 0);
	assert_int_equal(unknown, 0);
}

static void test_global_keys_documented(void **state)
{
	check_section(GLOBAL_HEADING, cfg_global_key_names());
}

static void test_kernel_keys_documented(void **state)
{
	check_section(KERNEL_HEADING, cfg_kernel_key_names());
}

static void test_profile_keys_documented(void **state)
{
	check_section(PROFILE_HEADING, cfg_profile_key_names());
}

/* The checks above are only as good as the key lists: they must be the
 * parser's, which the config tests exercise key by key. */
static void test_key_lists_are_the_parsers(void **state)
{
	const char *const *global = cfg_global_key_names(), *const *profile =
		cfg_profile_key_names();
	size_t n_global = 0, n_profile = 0;

	while (global[n_global])
		n_global++;
	while (profile[n_profile])
		n_profile++;
	assert_true(n_global >= 10);
	assert_true(n_profile >= 12);
	assert_true(is_key(global, "user", 4));
	assert_true(is_key(profile, "server_names", 12));
	assert_false(is_key(profile, "user", 4));
	assert_true(is_key(cfg_kernel_key_names(), "keyrings", 8));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_lists_are_the_parsers),
		cmocka_unit_test(test_global_keys_documented),
		cmocka_unit_test(test_kernel_keys_documented),
		cmocka_unit_test(test_profile_keys_documented),
	};

	return cmocka_run_group_tests(tests, read_page, free_page);
}
