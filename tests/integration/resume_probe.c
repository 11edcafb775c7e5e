// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * resume_probe - a second application (besides `ktls get`) of ktlsd's
 * client session cache, driven by t_resume_client.sh: one HTTP/1.0 GET
 * through libktls (ktls_connect, then ktls_recv), printing what the
 * handshake reported so that the script can compare a full and a resumed
 * handshake's facts.
 *
 *   resume_probe ADDR PORT SERVER-NAME PATH OUT [no-resume]
 *
 * stdout: "resumed=0|1 fingerprint=HEX|none cert_len=N subject=DN" (one
 * line); OUT: the response body (after the blank line).  Exit 0 on a
 * complete response, 1 on any failure (reason on stderr), 2 bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ktls.h"

#define RESPONSE_MAX (8u << 20)

static int fail(const char *what)
{
	fprintf(stderr, "resume_probe: %s: %s\n", what, ktls_errmsg()[0] ? ktls_errmsg() :
		strerror(errno));
	return 1;
}

static void print_facts(int fd)
{
	uint8_t fp[32], cert[16384];
	char subject[512] = "";
	socklen_t fp_len = sizeof(fp), cert_len = sizeof(cert), subject_len = sizeof(subject);
	socklen_t len = sizeof(int);
	int resumed = -1;

	ktls_getsockopt(fd, SOL_KTLS, KTLS_RESUMED, &resumed, &len);
	if (ktls_getsockopt(fd, SOL_KTLS, KTLS_PEER_FINGERPRINT, fp, &fp_len) < 0)
		fp_len = 0;
	if (ktls_getsockopt(fd, SOL_KTLS, KTLS_PEER_CERT, cert, &cert_len) < 0)
		cert_len = 0;
	if (ktls_getsockopt(fd, SOL_KTLS, KTLS_PEER_SUBJECT, subject, &subject_len) < 0)
		subject[0] = '\0';
	printf("resumed=%d fingerprint=", resumed);
	for (socklen_t i = 0; i < fp_len; i++)
		printf("%02x", fp[i]);
	printf("%s cert_len=%u subject=%s\n", fp_len ? "" : "none", (unsigned)cert_len, subject);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char request[1024];
	char *buf;
	size_t used = 0;
	ssize_t n = 0;
	int fd, one = 1;
	const char *body;
	FILE *out;

	if (argc < 6 || argc > 7 || (argc == 7 && strcmp(argv[6], "no-resume") != 0)) {
		fprintf(stderr, "usage: resume_probe ADDR PORT SERVER-NAME PATH OUT [no-resume]\n");
		return 2;
	}
	sin.sin_port = htons((uint16_t)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1)
		return 2;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		return fail("connect");
	if (ktls_setsockopt(fd, SOL_KTLS, KTLS_SERVER_NAME, argv[3], (socklen_t)strlen(argv[3])) < 0 ||
	    ktls_setsockopt(fd, SOL_KTLS, KTLS_ALPN, "http/1.1", 8) < 0 ||
	    (argc == 7 && ktls_setsockopt(fd, SOL_KTLS, KTLS_NO_RESUME, &one, sizeof(one)) < 0))
		return fail("setsockopt");
	if (ktls_connect(fd) < 0)
		return fail("ktls_connect");
	print_facts(fd);
	snprintf(request, sizeof(request), "GET /%s HTTP/1.0\r\nHost: %s\r\n\r\n", argv[4],
		 argv[3]);
	if (write(fd, request, strlen(request)) != (ssize_t)strlen(request))
		return fail("write");
	buf = malloc(RESPONSE_MAX);
	if (!buf)
		return fail("malloc");
	while (used < RESPONSE_MAX && (n = ktls_recv(fd, buf + used, RESPONSE_MAX - used, 0)) > 0)
		used += (size_t)n;
	if (n < 0)
		return fail("ktls_recv");
	body = memmem(buf, used, "\r\n\r\n", 4);
	if (!body)
		return fail("no end of headers");
	body += 4;
	out = fopen(argv[5], "wb");
	if (!out || fwrite(body, 1, used - (size_t)(body - buf), out) != used - (size_t)(body - buf) ||
	    fclose(out) != 0)
		return fail("writing OUT");
	free(buf);
	close(fd);
	return 0;
}
