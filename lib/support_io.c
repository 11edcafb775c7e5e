// SPDX-License-Identifier: LGPL-2.1-or-later
/* Transfers that finish the job: short writes, short reads and EINTR retried. */
#include <errno.h>
#include <stdint.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "support_io.h"

int io_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = EIO;	/* no progress: retrying would spin */
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int io_read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = 0;	/* end of file, not an error code */
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

size_t io_sendfile_all(int sock, int file_fd, off_t off, size_t len)
{
	off_t start = off;

	while ((size_t)(off - start) < len) {
		ssize_t n = sendfile(sock, file_fd, &off, len - (size_t)(off - start));

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = 0;
		if (n <= 0)
			break;
	}
	return (size_t)(off - start);
}
