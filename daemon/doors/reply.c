// SPDX-License-Identifier: GPL-2.0-or-later
/* Replies on a request connection; the connection ends with the reply. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "doors/reply.h"
#include "process/log.h"

void reply_send(int conn_fd, const struct ktls_hs_reply *rep)
{
	uint8_t *buf = malloc(KTLS_MSG_MAX);
	int len;

	if (!buf) {
		close(conn_fd);
		return;
	}
	len = ktls_msg_encode_reply(rep, buf, KTLS_MSG_MAX);
	if (len < 0)
		log_warnx("cannot encode reply: %s", strerror(-len));
	else if (send(conn_fd, buf, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("reply not delivered (caller gone?): %s", strerror(errno));
	free(buf);
	close(conn_fd);
}

void reply_error(int conn_fd, int err, const char *fmt, ...)
{
	struct ktls_hs_reply *rep = calloc(1, sizeof(*rep));
	va_list ap;

	if (!rep) {
		close(conn_fd);
		return;
	}
	rep->status = (uint32_t)err;
	va_start(ap, fmt);
	vsnprintf(rep->reason, sizeof(rep->reason), fmt, ap);
	va_end(ap);
	reply_send(conn_fd, rep);
	free(rep);
}

void reply_job_done(struct hs_job *job, const struct ktls_hs_reply *rep)
{
	reply_send(job->conn_fd, rep);
	job->conn_fd = -1;
}
