// SPDX-License-Identifier: GPL-2.0
/*
 * hs_trigger.ko - a TEST-ONLY in-kernel consumer of the net/handshake TLS
 * upcall, standing in for NFS/NVMe: it opens kernel TCP sockets, asks user
 * space (ktlsd) for the TLS handshake with tls_client_hello_{anon,x509,psk}()
 * or tls_server_hello_{x509,psk}(), waits for DONE, then moves data through
 * the kTLS session the agent installed and checks it.
 *
 * Everything happens in module init, which never succeeds: the module never
 * stays loaded (insmod reports "Operation canceled").  Results go to the
 * kernel log, one line per handshake and a summary, all tagged with `tag`:
 *   hs_trigger[TAG]: idx=0 side=client status=0 peerid=123 ms=85 data=ok
 *   hs_trigger[TAG]: summary ok=1 failed=0 wall_ms=90 busy_retries=0
 * status is what the kernel passed to the consumer's done callback (0 or
 * -errno from DONE), or the submit error (e.g. -ESRCH: no agent listening).
 *
 * Roles:
 *   client  connect to 127.0.0.1:port, ClientHello; reply=echo|rev|none says
 *           what the server answers to "hello-from-kernel-N\n" (gnutls-serv
 *           --echo, openssl s_server -rev).  stall=1: connect to a listener
 *           of our own that never answers (a stalled peer).
 *   server  listen on 127.0.0.1:port, accept `count` connections,
 *           ServerHello, read a line and answer "kernel-server-got:LINE".
 *   pair    both ends in the kernel: `count` client/server pairs, each
 *           handshake served by the agent, then ping/pong both ways.
 * mode=anon|x509|psk is the client's; a server end uses x509 (srv_cert/
 * srv_privkey, or none: the agent's own) or, for mode=psk, psk (srv_peerid,
 * srv_keyring).
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/in.h>
#include <linux/key.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <net/handshake.h>
#include <net/sock.h>
#include <net/tls_prot.h>

static char *role = "client";
static char *mode = "anon";
static char *peername = "localhost";
static char *reply = "none";
static char *tag = "-";
static int port = 4433;
static int timeout_ms = 20000;
static int count = 1;
static int stall;
static int cert, privkey, peerid, keyring;		/* client key serials */
static int srv_cert, srv_privkey, srv_peerid, srv_keyring;	/* server */
module_param(role, charp, 0444);
module_param(mode, charp, 0444);
module_param(peername, charp, 0444);
module_param(reply, charp, 0444);
module_param(tag, charp, 0444);
module_param(port, int, 0444);
module_param(timeout_ms, int, 0444);
module_param(count, int, 0444);
module_param(stall, int, 0444);
module_param(cert, int, 0444);
module_param(privkey, int, 0444);
module_param(peerid, int, 0444);
module_param(keyring, int, 0444);
module_param(srv_cert, int, 0444);
module_param(srv_privkey, int, 0444);
module_param(srv_peerid, int, 0444);
module_param(srv_keyring, int, 0444);

#define MAX_COUNT 128
#define IO_TIMEOUT_MS 10000

struct hs_slot {
	struct socket *sock;		/* owned by file once it exists */
	struct file *file;
	struct completion done;
	int status;
	key_serial_t peerid;
	int server;
	int idx;
	int waited;
	ktime_t start, end;
	const char *data;		/* outcome of the data exchange */
};

static unsigned int busy_retries;

static void hs_done(void *data, int status, key_serial_t remote)
{
	struct hs_slot *s = data;

	s->status = status;
	s->peerid = remote;
	s->end = ktime_get();
	complete(&s->done);
}

static struct sockaddr_in loopback(int p)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(p),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	return sin;
}

static int new_socket(struct socket **sock)
{
	int ret = sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP, sock);

	if (ret == 0) {
		(*sock)->sk->sk_rcvtimeo = msecs_to_jiffies(IO_TIMEOUT_MS);
		(*sock)->sk->sk_sndtimeo = msecs_to_jiffies(IO_TIMEOUT_MS);
	}
	return ret;
}

static int listen_on(int p, int backlog, struct socket **lsock)
{
	struct sockaddr_in sin = loopback(p);
	int ret = new_socket(lsock);

	if (ret)
		return ret;
	sock_set_reuseaddr((*lsock)->sk);
	/* void *: struct sockaddr * before Linux 6.19, sockaddr_unsized * after */
	ret = kernel_bind(*lsock, (void *)&sin, sizeof(sin));
	if (ret == 0)
		ret = kernel_listen(*lsock, backlog);
	if (ret) {
		sock_release(*lsock);
		*lsock = NULL;
	}
	return ret;
}

static int connect_to(int p, struct socket **sock)
{
	struct sockaddr_in sin = loopback(p);
	int ret = new_socket(sock);

	if (ret)
		return ret;
	ret = kernel_connect(*sock, (void *)&sin, sizeof(sin), 0);
	if (ret) {
		sock_release(*sock);
		*sock = NULL;
	}
	return ret;
}

/* The agent receives the socket as an fd, so it needs a struct file. */
static int give_file(struct hs_slot *s)
{
	struct file *f = sock_alloc_file(s->sock, O_NONBLOCK, NULL);

	if (IS_ERR(f)) {
		s->sock = NULL;		/* sock_alloc_file released it */
		return PTR_ERR(f);
	}
	s->file = f;
	return 0;
}

static void fill_args(struct tls_handshake_args *a, struct hs_slot *s)
{
	memset(a, 0, sizeof(*a));
	a->ta_sock = s->sock;
	a->ta_done = hs_done;
	a->ta_data = s;
	a->ta_timeout_ms = timeout_ms;
	if (s->server) {
		a->ta_keyring = srv_keyring;
		a->ta_my_cert = srv_cert;
		a->ta_my_privkey = srv_privkey;
		a->ta_num_peerids = 1;
		a->ta_my_peerids[0] = srv_peerid;
	} else {
		a->ta_peername = peername[0] ? peername : NULL;
		a->ta_keyring = keyring;
		a->ta_my_cert = cert;
		a->ta_my_privkey = privkey;
		a->ta_num_peerids = 1;
		a->ta_my_peerids[0] = peerid;
	}
}

static int call_upcall(const struct tls_handshake_args *a, int server)
{
	int psk = !strcmp(mode, "psk");

	if (server)
		return psk ? tls_server_hello_psk(a, GFP_KERNEL) : tls_server_hello_x509(a, GFP_KERNEL);
	if (psk)
		return tls_client_hello_psk(a, GFP_KERNEL);
	if (!strcmp(mode, "x509"))
		return tls_client_hello_x509(a, GFP_KERNEL);
	return tls_client_hello_anon(a, GFP_KERNEL);
}

/* The kernel queues only a few unaccepted requests per netns (3..50,
 * scaled by RAM) and says EAGAIN beyond: a real consumer retries. */
static int submit(struct hs_slot *s)
{
	struct tls_handshake_args a;
	unsigned long give_up = jiffies + msecs_to_jiffies(timeout_ms);
	int ret;

	fill_args(&a, s);
	init_completion(&s->done);
	s->start = ktime_get();
	for (;;) {
		ret = call_upcall(&a, s->server);
		if (ret != -EAGAIN || time_after(jiffies, give_up))
			break;
		busy_retries++;
		usleep_range(2000, 4000);
	}
	if (ret) {
		s->status = ret;	/* no done callback will come */
		s->end = ktime_get();
		complete(&s->done);
	} else {
		/* READY has been multicast by now: tests wait for this line. */
		pr_info("hs_trigger[%s]: idx=%d side=%s submitted\n", tag, s->idx,
			s->server ? "server" : "client");
	}
	return ret;
}

/* The agent never answered.  Cancel; if that loses the race, the done
 * callback is running and will complete. */
static void give_up(struct hs_slot *s)
{
	if (tls_handshake_cancel(s->sock->sk)) {
		s->status = -ETIMEDOUT;
		s->end = ktime_get();
		s->data = "cancelled";
		return;
	}
	wait_for_completion(&s->done);
}

/* Wait for every submitted handshake, in whatever order they end.  Like a
 * real consumer, shut a failed socket down at once, so that its peer (the
 * other end of a pair) fails now rather than at its own timeout. */
static void wait_all(struct hs_slot *slots, int n)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(timeout_ms + 5000);
	int waiting;

	do {
		waiting = 0;
		for (int i = 0; i < n; i++) {
			struct hs_slot *s = &slots[i];

			if (!s->file || s->waited)
				continue;
			if (try_wait_for_completion(&s->done)) {
				s->waited = 1;
				if (s->status)
					kernel_sock_shutdown(s->sock, SHUT_RDWR);
			} else if (time_after(jiffies, deadline)) {
				give_up(s);
				s->waited = 1;
			} else {
				waiting++;
			}
		}
		if (waiting)
			usleep_range(1000, 2000);
	} while (waiting);
}

/* ---- data through kTLS ---- */

static int send_text(struct socket *sock, const char *text)
{
	struct kvec iov = { (void *)text, strlen(text) };
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };

	return kernel_sendmsg(sock, &msg, &iov, 1, iov.iov_len);
}

/* Read up to a newline.  Non-data records (a TLS 1.3 NewSessionTicket
 * after the handshake) are skipped, as NFS does: with a control buffer,
 * kTLS hands them over one at a time with their type. */
static int recv_line(struct socket *sock, char *buf, size_t cap)
{
	size_t got = 0;

	while (got < cap - 1) {
		union {
			struct cmsghdr cmsg;
			u8 space[CMSG_SPACE(sizeof(u8))];
		} u;
		struct msghdr msg = { .msg_control = &u, .msg_controllen = sizeof(u) };
		struct kvec iov = { buf + got, cap - 1 - got };
		u8 type;
		int n;

		memset(&u, 0, sizeof(u));
		n = kernel_recvmsg(sock, &msg, &iov, 1, iov.iov_len, 0);
		if (n <= 0)
			return got ? (int)got : (n ? n : -ECONNRESET);
		type = tls_get_record_type(sock->sk, &u.cmsg);
		if (type && type != TLS_RECORD_TYPE_DATA)
			continue;
		got += n;
		buf[got] = '\0';
		if (strchr(buf, '\n'))
			break;
	}
	buf[got] = '\0';
	return (int)got;
}

static void reverse_line(const char *in, char *out, size_t cap)
{
	size_t len = strcspn(in, "\n");

	if (len >= cap - 1)
		len = cap - 2;
	for (size_t i = 0; i < len; i++)
		out[i] = in[len - 1 - i];
	out[len] = '\n';
	out[len + 1] = '\0';
}

static const char *client_exchange(struct hs_slot *s)
{
	char sent[64], want[64], got[128];
	int n;

	snprintf(sent, sizeof(sent), "hello-from-kernel-%d\n", s->idx);
	if (send_text(s->sock, sent) < 0)
		return "send-failed";
	if (!strcmp(reply, "none"))
		return "sent";
	if (!strcmp(reply, "rev"))
		reverse_line(sent, want, sizeof(want));
	else
		strscpy(want, sent, sizeof(want));
	n = recv_line(s->sock, got, sizeof(got));
	if (n < 0)
		return "recv-failed";
	return strcmp(got, want) ? "mismatch" : "ok";
}

static const char *server_exchange(struct hs_slot *s)
{
	char got[128], answer[160];
	int n = recv_line(s->sock, got, sizeof(got));

	if (n <= 0)
		return "recv-failed";
	pr_info("hs_trigger[%s]: idx=%d server received \"%.*s\"\n", tag, s->idx,
		(int)strcspn(got, "\n"), got);
	snprintf(answer, sizeof(answer), "kernel-server-got:%s", got);
	if (!strchr(answer, '\n'))
		strlcat(answer, "\n", sizeof(answer));
	return send_text(s->sock, answer) < 0 ? "send-failed" : "ok";
}

/* client i sends ping-i, server i checks it and answers pong-i. */
static const char *pair_exchange(struct hs_slot *c, struct hs_slot *srv)
{
	char msg[64], got[64];

	snprintf(msg, sizeof(msg), "ping-%d\n", c->idx);
	if (send_text(c->sock, msg) < 0 || recv_line(srv->sock, got, sizeof(got)) <= 0)
		return "ping-failed";
	if (strcmp(got, msg))
		return "ping-mismatch";
	snprintf(msg, sizeof(msg), "pong-%d\n", c->idx);
	if (send_text(srv->sock, msg) < 0 || recv_line(c->sock, got, sizeof(got)) <= 0)
		return "pong-failed";
	return strcmp(got, msg) ? "pong-mismatch" : "ok";
}

/* ---- roles ---- */

static int open_client(struct hs_slot *s, int p)
{
	int ret = connect_to(p, &s->sock);

	return ret ? ret : give_file(s);
}

static int open_server(struct hs_slot *s, struct socket *lsock)
{
	int ret = kernel_accept(lsock, &s->sock, 0);

	if (ret == 0) {
		s->sock->sk->sk_rcvtimeo = msecs_to_jiffies(IO_TIMEOUT_MS);
		s->sock->sk->sk_sndtimeo = msecs_to_jiffies(IO_TIMEOUT_MS);
		ret = give_file(s);
	}
	return ret;
}

static void release_slot(struct hs_slot *s)
{
	if (s->file)
		fput(s->file);		/* releases the socket too */
	else if (s->sock)
		sock_release(s->sock);
	s->file = NULL;
	s->sock = NULL;
}

static int report(struct hs_slot *slots, int n, ktime_t t0)
{
	int ok = 0;

	for (int i = 0; i < n; i++) {
		struct hs_slot *s = &slots[i];
		int good = s->status == 0 && s->data && (!strcmp(s->data, "ok") ||
							 !strcmp(s->data, "sent"));

		ok += good;
		pr_info("hs_trigger[%s]: idx=%d side=%s status=%d peerid=%d ms=%lld data=%s\n",
			tag, s->idx, s->server ? "server" : "client", s->status, s->peerid,
			ktime_ms_delta(s->end, s->start), s->data ? s->data : "none");
	}
	pr_info("hs_trigger[%s]: summary ok=%d failed=%d wall_ms=%lld busy_retries=%u\n",
		tag, ok, n - ok, ktime_ms_delta(ktime_get(), t0), busy_retries);
	return ok == n ? 0 : -EIO;
}

/* Open both ends of every pair first: requests then overlap. */
static int run_pairs(struct hs_slot *slots, int pairs)
{
	struct socket *lsock;
	int ret = listen_on(port, pairs + 8, &lsock);

	if (ret)
		return ret;
	for (int i = 0; i < pairs && !ret; i++) {
		slots[2 * i] = (struct hs_slot){ .idx = i };
		slots[2 * i + 1] = (struct hs_slot){ .idx = i, .server = 1 };
		ret = open_client(&slots[2 * i], port);
		if (!ret)
			ret = open_server(&slots[2 * i + 1], lsock);
	}
	sock_release(lsock);
	if (ret)
		return ret;
	for (int i = 0; i < 2 * pairs; i++)
		submit(&slots[i]);
	wait_all(slots, 2 * pairs);
	for (int i = 0; i < pairs; i++)
		if (slots[2 * i].status == 0 && slots[2 * i + 1].status == 0)
			slots[2 * i].data = slots[2 * i + 1].data =
				pair_exchange(&slots[2 * i], &slots[2 * i + 1]);
	return 0;
}

static int run_clients(struct hs_slot *slots, int n)
{
	struct socket *lsock = NULL;
	int ret = 0;

	/* A peer that accepts the connection (the backlog does) and never
	 * says a word. */
	if (stall && (ret = listen_on(port, n + 8, &lsock)))
		return ret;
	for (int i = 0; i < n && !ret; i++) {
		slots[i] = (struct hs_slot){ .idx = i };
		ret = open_client(&slots[i], port);
	}
	if (!ret) {
		for (int i = 0; i < n; i++)
			submit(&slots[i]);
		wait_all(slots, n);
		for (int i = 0; i < n; i++)
			if (slots[i].status == 0)
				slots[i].data = client_exchange(&slots[i]);
	}
	if (lsock)
		sock_release(lsock);
	return ret;
}

static int run_servers(struct hs_slot *slots, int n)
{
	struct socket *lsock;
	int ret = listen_on(port, n + 8, &lsock);

	if (ret)
		return ret;
	lsock->sk->sk_rcvtimeo = msecs_to_jiffies(timeout_ms);	/* accept() waits this long */
	pr_info("hs_trigger[%s]: listening on port %d\n", tag, port);
	for (int i = 0; i < n && !ret; i++) {
		slots[i] = (struct hs_slot){ .idx = i, .server = 1 };
		ret = open_server(&slots[i], lsock);
		if (!ret)
			submit(&slots[i]);
	}
	sock_release(lsock);
	wait_all(slots, n);
	for (int i = 0; i < n; i++)
		if (slots[i].file && slots[i].status == 0)
			slots[i].data = server_exchange(&slots[i]);
	return ret;
}

static int __init hs_trigger_init(void)
{
	int pair = !strcmp(role, "pair"), n = pair ? 2 * count : count, ret;
	struct hs_slot *slots;
	ktime_t t0 = ktime_get();

	if (count < 1 || count > MAX_COUNT)
		return -EINVAL;
	slots = kcalloc(n, sizeof(*slots), GFP_KERNEL);
	if (!slots)
		return -ENOMEM;
	if (pair)
		ret = run_pairs(slots, count);
	else if (!strcmp(role, "server"))
		ret = run_servers(slots, count);
	else
		ret = run_clients(slots, count);
	if (ret)
		pr_info("hs_trigger[%s]: setup failed: %d\n", tag, ret);
	report(slots, n, t0);
	for (int i = 0; i < n; i++)
		release_slot(&slots[i]);
	kfree(slots);
	return ret ? ret : -ECANCELED;	/* never stay loaded */
}
module_init(hs_trigger_init);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("test-only consumer of the net/handshake TLS upcall");
