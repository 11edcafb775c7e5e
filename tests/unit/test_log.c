// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * log.c on stderr: the line format, levels, the errno suffix of log_warn,
 * control characters neutralised, one write per line from many threads,
 * and fatal/fatalx exiting 1.
 */
#include <errno.h>
#include <pthread.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "process/log.h"

static int saved_stderr = -1;
static FILE *capture;
static char captured[1 << 18];

static void capture_start(void)
{
	capture = tmpfile();
	assert_non_null(capture);
	saved_stderr = dup(STDERR_FILENO);
	assert_true(saved_stderr >= 0);
	assert_int_equal(dup2(fileno(capture), STDERR_FILENO), STDERR_FILENO);
}

/* Restores stderr; returns what was written meanwhile. */
static const char *capture_end(void)
{
	size_t n;

	assert_int_equal(dup2(saved_stderr, STDERR_FILENO), STDERR_FILENO);
	close(saved_stderr);
	rewind(capture);
	n = fread(captured, 1, sizeof(captured) - 1, capture);
	captured[n] = '\0';
	fclose(capture);
	return captured;
}

static void assert_matches(const char *text, const char *pattern)
{
	regex_t re;
	int rc;

	assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
	rc = regexec(&re, text, 0, NULL, 0);
	regfree(&re);
	if (rc != 0)
		fail_msg("\"%s\" does not match /%s/", text, pattern);
}

#define STAMP "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3} "

static int setup(void **state)
{
	log_init("test", 0, LOG_LVL_DEBUG);
	return 0;
}

static void test_line_format(void **state)
{
	capture_start();
	log_info("hello %d %s", 42, "world");
	assert_matches(capture_end(), STAMP "info: hello 42 world\n$");

	capture_start();
	log_error("e");
	log_warnx("w");
	log_debug("d");
	assert_matches(capture_end(), STAMP "error: e\n" "[0-9 :.-]{24}warn: w\n"
				      "[0-9 :.-]{24}debug: d\n$");
}

static void test_warn_appends_strerror_and_keeps_errno(void **state)
{
	capture_start();
	errno = ENOENT;
	log_warn("open %s", "/x");
	assert_int_equal(errno, ENOENT);
	assert_matches(capture_end(), STAMP "warn: open /x: No such file or directory\n$");

	capture_start();
	errno = EACCES;
	log_warnx("no suffix");
	assert_matches(capture_end(), STAMP "warn: no suffix\n$");
}

static void test_levels_filter(void **state)
{
	capture_start();
	log_set_level(LOG_LVL_WARN);
	log_info("hidden");
	log_debug("hidden");
	log_warnx("shown");
	log_error("shown too");
	log_set_level(LOG_LVL_DEBUG);
	assert_matches(capture_end(), STAMP "warn: shown\n[^\n]*error: shown too\n$");
}

static void test_level_names(void **state)
{
	assert_int_equal(log_level_from_name("error"), LOG_LVL_ERROR);
	assert_int_equal(log_level_from_name("warn"), LOG_LVL_WARN);
	assert_int_equal(log_level_from_name("warning"), LOG_LVL_WARN);
	assert_int_equal(log_level_from_name("info"), LOG_LVL_INFO);
	assert_int_equal(log_level_from_name("DEBUG"), LOG_LVL_DEBUG);
	assert_int_equal(log_level_from_name("verbose"), -1);
	assert_int_equal(log_level_from_name(""), -1);
	assert_int_equal(log_level_from_name(NULL), -1);
}

/* A peer-chosen name with a newline must not forge a second line. */
static void test_control_chars_replaced(void **state)
{
	capture_start();
	log_info("sni %s", "evil\n2025-01-01 00:00:00.000 error: forged\x1b[31m");
	assert_matches(capture_end(), STAMP "info: sni evil\\?2025-01-01 00:00:00.000 error: "
				      "forged\\?\\[31m\n$");
}

static void test_long_message_still_one_line(void **state)
{
	char big[5000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	capture_start();
	log_info("%s", big);
	log_info("next");
	assert_matches(capture_end(), STAMP "info: x+\n[^\n]+info: next\n$");
}

#define THREADS 4
#define LINES_PER_THREAD 200

static void *log_many(void *arg)
{
	for (int i = 0; i < LINES_PER_THREAD; i++)
		log_info("thread %ld line %03d %s", (long)(intptr_t)arg, i,
			 "padding-padding-padding-padding-padding-padding");
	return NULL;
}

static void test_threads_never_interleave(void **state)
{
	pthread_t threads[THREADS];
	const char *out, *line;
	int lines = 0;

	capture_start();
	for (intptr_t i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, log_many, (void *)i), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(threads[i], NULL);
	out = capture_end();
	assert_true(strlen(out) < sizeof(captured) - 1);
	for (line = out; *line; line = strchr(line, '\n') + 1) {
		char one[256];
		size_t len;

		if (!strchr(line, '\n'))
			fail_msg("unterminated line: %s", line);
		len = (size_t)(strchr(line, '\n') - line);

		if (len >= sizeof(one))
			fail_msg("long line: %.*s", (int)len, line);
		memcpy(one, line, len);
		one[len] = '\0';
		assert_matches(one, STAMP "info: thread [0-3] line [0-9]{3} (padding-?){6}$");
		lines++;
	}
	assert_int_equal(lines, THREADS * LINES_PER_THREAD);
}

static void expect_exit_1(int use_errno, const char *pattern)
{
	int status;
	pid_t pid;

	capture_start();
	fflush(NULL);	/* or the child's exit() writes our buffered output again */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		errno = EPERM;
		if (use_errno)
			fatal("cannot %s", "drop privileges");
		fatalx("bad %s", "config");
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_matches(capture_end(), pattern);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
}

static void test_fatal_exits_1(void **state)
{
	log_set_level(LOG_LVL_ERROR);	/* fatal lines are never filtered */
	expect_exit_1(1, STAMP "error: cannot drop privileges: Operation not permitted\n$");
	expect_exit_1(0, STAMP "error: bad config\n$");
	log_set_level(LOG_LVL_DEBUG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_format),
		cmocka_unit_test(test_warn_appends_strerror_and_keeps_errno),
		cmocka_unit_test(test_levels_filter),
		cmocka_unit_test(test_level_names),
		cmocka_unit_test(test_control_chars_replaced),
		cmocka_unit_test(test_long_message_still_one_line),
		cmocka_unit_test(test_threads_never_interleave),
		cmocka_unit_test(test_fatal_exits_1),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
