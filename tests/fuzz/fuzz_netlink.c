// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for what the kernel's handshake family sends ktlsd
 * (daemon/doors/door_netlink_msg.c, included whole; libnl does the attribute
 * walking).  See tests/fuzz/README.md.
 *
 * Each input is one recv() buffer, walked the way door_netlink.c walks it
 * (take_reply(), door_netlink_readable()): nlmsg_ok()/nlmsg_next() over
 * the buffer, and every message is offered to hsnl_parse_accept() and
 * hsnl_is_ready().  A parse must succeed with values in range or fail
 * with -EBADMSG and its reason, give the same answer twice, and leave the
 * buffer as it was.
 *
 * libnl is not instrumented, so ASan cannot see it read past the buffer.
 * The buffer therefore ends at a PROT_NONE page: a read by libnl beyond
 * the input (beyond the 1 to 3 bytes that keep messages 4-byte aligned,
 * which are poisoned for the instrumented code) faults.
 */
#include <sanitizer/asan_interface.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "doors/door_netlink_msg.c"

#define FAMILY 0x21	/* any id: the kernel assigns it at boot */
#define RECV_BUF 16384	/* door_netlink.c's buffer: larger is refused */

#include "fuzz_check.h"

static const char bad_prefix[] = "malformed ACCEPT reply: ";

/* RECV_BUF bytes of read-write memory followed by a page that faults. */
static uint8_t *guarded_area(void)
{
	static uint8_t *area;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	if (area)
		return area;
	area = mmap(NULL, RECV_BUF + page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(area != MAP_FAILED);
	CHECK(mprotect(area + RECV_BUF, page, PROT_NONE) == 0);
	return area;
}

static void check_accept(struct nlmsghdr *nlh)
{
	struct hsnl_accept a, again;
	char reason[256], reason2[256];
	int rc, rc2;

	memset(reason, 0x55, sizeof(reason));
	rc = hsnl_parse_accept(nlh, FAMILY, &a, reason, sizeof(reason));
	if (rc == 0) {
		CHECK(a.sockfd >= 0);
		CHECK(a.message_type == HANDSHAKE_MSG_TYPE_CLIENTHELLO ||
		      a.message_type == HANDSHAKE_MSG_TYPE_SERVERHELLO);
		CHECK(a.auth_mode == HANDSHAKE_AUTH_UNAUTH || a.auth_mode == HANDSHAKE_AUTH_PSK ||
		      a.auth_mode == HANDSHAKE_AUTH_X509);
		CHECK(a.n_peerids <= HSNL_MAX_PEERIDS);
		/* A C string (bytes after an embedded NUL may follow it: libnl's
		 * nla_strlcpy copies them, and nobody reads past the first NUL). */
		CHECK(memchr(a.peername, '\0', sizeof(a.peername)) != NULL);
	} else {
		CHECK(rc == -EBADMSG);
		CHECK(strncmp(reason, bad_prefix, sizeof(bad_prefix) - 1) == 0);
		CHECK(memchr(reason, '\0', sizeof(reason)) != NULL);
		/* sockfd: whatever SOCKFD said (a negative one counts as none) */
	}
	/* A pure function of the bytes. */
	rc2 = hsnl_parse_accept(nlh, FAMILY, &again, reason2, sizeof(reason2));
	CHECK(rc2 == rc);
	CHECK(memcmp(&a, &again, sizeof(a)) == 0);
	if (rc < 0)
		CHECK(strcmp(reason, reason2) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *area = guarded_area();
	size_t aligned = (size + 3) & ~(size_t)3;
	uint8_t *buf;
	int rem;

	if (size > RECV_BUF)
		return -1;	/* recv() into RECV_BUF never gives more */
	buf = area + RECV_BUF - aligned;
	memcpy(buf, data, size);
	ASAN_POISON_MEMORY_REGION(buf + size, aligned - size);

	rem = (int)size;
	for (struct nlmsghdr *nlh = (void *)buf; nlmsg_ok(nlh, rem); nlh = nlmsg_next(nlh, &rem)) {
		int ready = hsnl_is_ready(nlh, FAMILY);

		CHECK(ready == 0 || ready == 1);
		CHECK(hsnl_is_ready(nlh, FAMILY) == ready);
		if (nlh->nlmsg_type != NLMSG_ERROR)
			check_accept(nlh);
	}
	CHECK(memcmp(buf, data, size) == 0);	/* parsing writes nothing */
	ASAN_UNPOISON_MEMORY_REGION(buf + size, aligned - size);
	return 0;
}
