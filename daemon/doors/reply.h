/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Replies on an application's request connection. */
#ifndef KTLSD_DOORS_REPLY_H
#define KTLSD_DOORS_REPLY_H

#include "engine/job.h"
#include "ktls_proto.h"

/* Send a reply and close the request connection. */
void reply_send(int conn_fd, const struct ktls_hs_reply *rep);
void reply_job_done(struct hs_job *job, const struct ktls_hs_reply *rep);	/* hs_done_fn */
void reply_error(int conn_fd, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
