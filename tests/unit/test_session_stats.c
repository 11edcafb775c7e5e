// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Per-profile session counters (daemon/sessions/session_stats.c): counts
 * land on the right profile and counter, concurrent counting loses nothing,
 * the table stays bounded however many names callers invent, and the
 * daemon's status snapshot carries them.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine/stats.h"
#include "sessions/session_stats.h"

static struct ktls_status_reply st;

static const struct ktls_status_sessions *find(const char *name)
{
	memset(&st, 0, sizeof(st));
	session_stats_snapshot(&st);
	for (unsigned i = 0; i < st.n_sessions; i++)
		if (strcmp(st.sessions[i].name, name) == 0)
			return &st.sessions[i];
	return NULL;
}

static void test_counts_by_profile(void **state)
{
	const struct ktls_status_sessions *s;

	session_stats_count("web", SESSION_STAT_FULL);
	session_stats_count("web", SESSION_STAT_CACHE_MISS);
	session_stats_count("web", SESSION_STAT_RESUMED);
	session_stats_count("web", SESSION_STAT_CACHE_HIT);
	session_stats_count("web", SESSION_STAT_RESUMED);
	session_stats_count("mail", SESSION_STAT_STORE_ERROR);
	session_stats_add("mail", SESSION_STAT_CACHE_EVICT, 5);
	session_stats_count(NULL, SESSION_STAT_FULL);
	session_stats_count("", SESSION_STAT_FULL);
	session_stats_count("web", SESSION_STAT__COUNT);	/* ignored, no crash */

	s = find("web");
	assert_non_null(s);
	assert_int_equal(s->count[KTLS_SESSION_RESUMED], 2);
	assert_int_equal(s->count[KTLS_SESSION_FULL], 1);
	assert_int_equal(s->count[KTLS_SESSION_CACHE_HIT], 1);
	assert_int_equal(s->count[KTLS_SESSION_CACHE_MISS], 1);
	assert_int_equal(s->count[KTLS_SESSION_CACHE_EVICT], 0);
	assert_int_equal(s->count[KTLS_SESSION_STORE_ERROR], 0);
	s = find("mail");
	assert_non_null(s);
	assert_int_equal(s->count[KTLS_SESSION_STORE_ERROR], 1);
	assert_int_equal(s->count[KTLS_SESSION_CACHE_EVICT], 5);
	assert_int_equal(s->count[KTLS_SESSION_RESUMED], 0);
	s = find("-");
	assert_non_null(s);
	assert_int_equal(s->count[KTLS_SESSION_FULL], 2);
	assert_string_equal(session_stat_name(SESSION_STAT_CACHE_EVICT), "cache_evict");
}

#define THREADS 4
#define PER_THREAD 20000

static void *hammer(void *arg)
{
	for (int i = 0; i < PER_THREAD; i++)
		session_stats_count((const char *)arg, i % 2 ? SESSION_STAT_RESUMED :
							      SESSION_STAT_FULL);
	return NULL;
}

static void test_concurrent(void **state)
{
	pthread_t t[THREADS];
	const struct ktls_status_sessions *s;

	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer,
						(void *)(i % 2 ? "threads-a" : "threads-b")), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	s = find("threads-a");
	assert_non_null(s);
	assert_int_equal(s->count[KTLS_SESSION_RESUMED] + s->count[KTLS_SESSION_FULL],
			 THREADS / 2 * PER_THREAD);
	s = find("threads-b");
	assert_non_null(s);
	assert_int_equal(s->count[KTLS_SESSION_RESUMED], THREADS / 2 * PER_THREAD / 2);
}

/* Runs last: fills the table.  Names past the bound share "(other)". */
static void test_bounded(void **state)
{
	const struct ktls_status_sessions *s;
	char name[32];

	for (int i = 0; i < 3 * KTLS_STATUS_MAX_PROFILES; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		session_stats_count(name, SESSION_STAT_CACHE_MISS);
	}
	s = find("(other)");
	assert_int_equal(st.n_sessions, KTLS_STATUS_MAX_PROFILES);
	assert_non_null(s);
	assert_true(s->count[KTLS_SESSION_CACHE_MISS] > 2 * KTLS_STATUS_MAX_PROFILES);
	/* known names still count on their own row */
	session_stats_count("web", SESSION_STAT_RESUMED);
	assert_int_equal(find("web")->count[KTLS_SESSION_RESUMED], 3);
	/* and the daemon's status snapshot carries the table */
	memset(&st, 0, sizeof(st));
	stats_snapshot(&st);
	assert_int_equal(st.n_sessions, KTLS_STATUS_MAX_PROFILES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_by_profile),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
