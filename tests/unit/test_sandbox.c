// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sandbox.c on this host's kernel: a child forks a real key process, then
 * sandboxes itself exactly as ktlsd's network process does and tries what
 * an attacker would.  It must not open a key file, a PSK file or the config
 * directory's files, nor create or write files, while /etc/passwd and the
 * libraries stay readable (a reload's user lookups); it is not dumpable;
 * sandbox_protections() says Landlock.  And through the key process it
 * still gets a certificate (OPEN), so reloads keep working.  Skipped where
 * the kernel has no Landlock (the VM tests cover the same under systemd).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "keys/keyproc.h"
#include "process/sandbox.h"
#include "unit_files.h"

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif

enum { CHILD_OK = 0, OPENED_KEY = 10, OPENED_PSK, OPENED_CONF, CREATED, NO_PASSWD,
       DUMPABLE, NOT_REPORTED, NO_OPEN_VIA_KEYPROC, SETUP_FAILED };

static int setup_all(void **state)
{
	char conf[1024];

	if (unit_tmpdir_create("sandbox") < 0)
		return -1;
	unit_make_cert("web.crt", "web.key", "web.test", GNUTLS_PK_ECDSA,
		       GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1));
	unit_write_text("psk.txt", "client1:00112233445566778899aabbccddeeff\n", 0600);
	snprintf(conf, sizeof(conf), "[profile web]\nrole = server\ncertificate = %s\nkey = %s\n"
		 "[profile psk]\nrole = server\npsk_file = %s\n", unit_tmp_path("web.crt"),
		 unit_tmp_path("web.key"), unit_tmp_path("psk.txt"));
	unit_write_text("ktlsd.conf", conf, 0644);
	return 0;
}

static int teardown_all(void **state)
{
	return unit_tmpdir_remove();
}

static int opens(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC, 0600);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* The network process's life after start-up, in a child. */
static int sandboxed_child(void)
{
	struct cfg *cfg = NULL;
	char err[512];
	uint32_t gen;
	int fd;

	if (cfg_load(unit_tmp_path("ktlsd.conf"), &cfg, err, sizeof(err)) < 0 ||
	    keyproc_start(cfg, 0) < 0 || keyproc_config(&gen, NULL, err, sizeof(err)) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    sandbox_network_process(cfg, true, NULL) < 0)
		return SETUP_FAILED;
	if (opens(unit_tmp_path("web.key"), O_RDONLY))
		return OPENED_KEY;
	if (opens(unit_tmp_path("psk.txt"), O_RDONLY))
		return OPENED_PSK;
	if (opens(unit_tmp_path("ktlsd.conf"), O_RDONLY))
		return OPENED_CONF;
	if (opens(unit_tmp_path("new"), O_WRONLY | O_CREAT))
		return CREATED;
	if (!opens("/etc/passwd", O_RDONLY))
		return NO_PASSWD;
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		return DUMPABLE;
	if (!(sandbox_protections() & SANDBOX_LANDLOCK_FS) || sandbox_landlock_abi() < 1)
		return NOT_REPORTED;
	fd = keyproc_open(gen, 0, "web", KP_FILE_CERT, err, sizeof(err));
	if (fd < 0)
		return NO_OPEN_VIA_KEYPROC;
	close(fd);
	keyproc_stop();
	return CHILD_OK;
}

static void test_network_process_sandbox(void **state)
{
	int status;
	pid_t pid;

	if (syscall(SYS_landlock_create_ruleset, NULL, 0, 1) < 1)
		skip();		/* no Landlock here: t_service.sh covers it in the VM */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(sandboxed_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) != CHILD_OK)
		fail_msg("sandboxed child failed with %d (see the enum in this file)",
			 WEXITSTATUS(status));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_network_process_sandbox),
	};

	return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
