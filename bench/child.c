// SPDX-License-Identifier: GPL-2.0-or-later
/* Stopping the servers the bench starts (ktlsd, openssl s_server, nginx). */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

void child_stop(pid_t pid, double wait_s)
{
	double give_up = now_s() + wait_s;

	kill(pid, SIGTERM);	/* nginx: fast shutdown of master and workers */
	while (waitpid(pid, NULL, WNOHANG) == 0) {
		if (now_s() > give_up) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			break;
		}
		usleep(20 * 1000);
	}
}
