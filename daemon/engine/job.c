// SPDX-License-Identifier: GPL-2.0-or-later
/* Job lifetime (engine/job.h). */
#include <stdlib.h>
#include <unistd.h>

#include "engine/handshake.h"
#include "engine/job.h"

void hs_job_free(struct hs_job *job)
{
	if (!job)
		return;
	hs_free(job->hs);
	if (job->override && job->override->release)
		job->override->release(job->override);
	if (job->sock_fd >= 0)
		close(job->sock_fd);
	if (job->conn_fd >= 0)
		close(job->conn_fd);
	cfg_ref_put(job->cfg);
	free(job);
}
