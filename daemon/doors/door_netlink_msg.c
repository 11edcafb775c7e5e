// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The netlink door's message codec: ACCEPT and DONE built, READY and the
 * ACCEPT reply parsed (what the kernel sends us; see door_netlink.c).
 * Pure functions of their bytes, in a file of their own so that the unit
 * tests and the fuzzer (tests/fuzz/fuzz_netlink.c) take them without the
 * rest of the door.
 */
#include <errno.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "doors/door_netlink.h"
#include "doors/handshake_uapi.h"

static const struct nla_policy ready_policy[HANDSHAKE_A_ACCEPT_MAX + 1] = {
	[HANDSHAKE_A_ACCEPT_HANDLER_CLASS] = { .type = NLA_U32 },
};

static const struct nla_policy accept_policy[KTLSD_HANDSHAKE_A_ACCEPT_MAX + 1] = {
	[HANDSHAKE_A_ACCEPT_SOCKFD] = { .type = NLA_U32 },
	[HANDSHAKE_A_ACCEPT_HANDLER_CLASS] = { .type = NLA_U32 },
	[HANDSHAKE_A_ACCEPT_MESSAGE_TYPE] = { .type = NLA_U32 },
	[HANDSHAKE_A_ACCEPT_TIMEOUT] = { .type = NLA_U32 },
	[HANDSHAKE_A_ACCEPT_AUTH_MODE] = { .type = NLA_U32 },
	[HANDSHAKE_A_ACCEPT_PEER_IDENTITY] = { .type = NLA_U32 },
	[HANDSHAKE_A_ACCEPT_CERTIFICATE] = { .type = NLA_NESTED },
	[HANDSHAKE_A_ACCEPT_PEERNAME] = { .type = NLA_STRING, .maxlen = KTLS_NAME_MAX },
	[KTLSD_HANDSHAKE_A_ACCEPT_KEYRING] = { .type = NLA_U32 },
};

static const struct nla_policy x509_policy[HANDSHAKE_A_X509_MAX + 1] = {
	[HANDSHAKE_A_X509_CERT] = { .type = NLA_U32 },
	[HANDSHAKE_A_X509_PRIVKEY] = { .type = NLA_U32 },
};

int hsnl_build_accept(struct nl_msg *msg, int family, uint32_t seq)
{
	if (!genlmsg_put(msg, NL_AUTO_PORT, seq, family, 0, NLM_F_REQUEST, HANDSHAKE_CMD_ACCEPT,
			 HANDSHAKE_FAMILY_VERSION))
		return -ENOBUFS;
	if (nla_put_u32(msg, HANDSHAKE_A_ACCEPT_HANDLER_CLASS, HANDSHAKE_HANDLER_CLASS_TLSHD) < 0)
		return -ENOBUFS;
	return 0;
}

int hsnl_build_done(struct nl_msg *msg, int family, uint32_t seq, uint32_t status, int sockfd,
		    const int32_t *remote_auth, unsigned n_remote_auth)
{
	if (!genlmsg_put(msg, NL_AUTO_PORT, seq, family, 0, NLM_F_REQUEST | NLM_F_ACK,
			 HANDSHAKE_CMD_DONE, HANDSHAKE_FAMILY_VERSION))
		return -ENOBUFS;
	if (nla_put_u32(msg, HANDSHAKE_A_DONE_STATUS, status) < 0 ||
	    nla_put_u32(msg, HANDSHAKE_A_DONE_SOCKFD, (uint32_t)sockfd) < 0)
		return -ENOBUFS;
	for (unsigned i = 0; i < n_remote_auth; i++)
		if (nla_put_u32(msg, HANDSHAKE_A_DONE_REMOTE_AUTH, (uint32_t)remote_auth[i]) < 0)
			return -ENOBUFS;
	return 0;
}

static int is_genl_cmd(struct nlmsghdr *nlh, int family, uint8_t cmd)
{
	return nlh->nlmsg_type == family && genlmsg_valid_hdr(nlh, 0) &&
	       genlmsg_hdr(nlh)->cmd == cmd;
}

int hsnl_is_ready(struct nlmsghdr *nlh, int family)
{
	struct nlattr *tb[HANDSHAKE_A_ACCEPT_MAX + 1];
	struct nlattr *cls;

	if (!is_genl_cmd(nlh, family, HANDSHAKE_CMD_READY) ||
	    genlmsg_parse(nlh, 0, tb, HANDSHAKE_A_ACCEPT_MAX, ready_policy) < 0)
		return 0;
	cls = tb[HANDSHAKE_A_ACCEPT_HANDLER_CLASS];
	return !cls || nla_get_u32(cls) == HANDSHAKE_HANDLER_CLASS_TLSHD;
}

/* Find SOCKFD before any validation: once the kernel installed an fd in
 * our process, it must be answered and closed even if the rest is bad. */
static int find_sockfd(struct nlmsghdr *nlh)
{
	struct nlattr *nla;
	int rem;

	nla_for_each_attr(nla, genlmsg_attrdata(genlmsg_hdr(nlh), 0),
			  genlmsg_attrlen(genlmsg_hdr(nlh), 0), rem)
		if (nla_type(nla) == HANDSHAKE_A_ACCEPT_SOCKFD && nla_len(nla) >= 4)
			return (int)nla_get_u32(nla);
	return -1;
}

static int parse_peer_identities(struct nlmsghdr *nlh, struct hsnl_accept *out)
{
	struct nlattr *nla;
	int rem;

	nla_for_each_attr(nla, genlmsg_attrdata(genlmsg_hdr(nlh), 0),
			  genlmsg_attrlen(genlmsg_hdr(nlh), 0), rem) {
		if (nla_type(nla) != HANDSHAKE_A_ACCEPT_PEER_IDENTITY)
			continue;
		if (out->n_peerids == HSNL_MAX_PEERIDS)
			return -EBADMSG;
		out->peerids[out->n_peerids++] = (int32_t)nla_get_u32(nla);
	}
	return 0;
}

/* libnl's parser skips bytes that do not form an attribute; we refuse
 * them: a stream of attributes must end where its container ends. */
static int attrs_end_cleanly(struct nlattr *head, int len)
{
	struct nlattr *nla;
	int rem;

	nla_for_each_attr(nla, head, len, rem)
		;
	return rem <= 0;
}

static int parse_certificate(struct nlattr *nest, struct hsnl_accept *out)
{
	struct nlattr *tb[HANDSHAKE_A_X509_MAX + 1];

	if (!nest)
		return 0;
	if (!attrs_end_cleanly(nla_data(nest), nla_len(nest)) ||
	    nla_parse_nested(tb, HANDSHAKE_A_X509_MAX, nest, x509_policy) < 0)
		return -EBADMSG;
	if (tb[HANDSHAKE_A_X509_CERT])
		out->cert = (int32_t)nla_get_u32(tb[HANDSHAKE_A_X509_CERT]);
	if (tb[HANDSHAKE_A_X509_PRIVKEY])
		out->privkey = (int32_t)nla_get_u32(tb[HANDSHAKE_A_X509_PRIVKEY]);
	return 0;
}

static uint32_t u32_or(struct nlattr *nla, uint32_t absent)
{
	return nla ? nla_get_u32(nla) : absent;
}

static int bad_reply(char *reason, size_t reason_len, const char *what)
{
	snprintf(reason, reason_len, "malformed ACCEPT reply: %s", what);
	return -EBADMSG;
}

int hsnl_parse_accept(struct nlmsghdr *nlh, int family, struct hsnl_accept *out, char *reason,
		      size_t reason_len)
{
	struct nlattr *tb[KTLSD_HANDSHAKE_A_ACCEPT_MAX + 1];

	memset(out, 0, sizeof(*out));
	out->sockfd = -1;
	if (!is_genl_cmd(nlh, family, HANDSHAKE_CMD_ACCEPT))
		return bad_reply(reason, reason_len, "not an ACCEPT message");
	out->sockfd = find_sockfd(nlh);
	if (!attrs_end_cleanly(genlmsg_attrdata(genlmsg_hdr(nlh), 0),
			       genlmsg_attrlen(genlmsg_hdr(nlh), 0)) ||
	    genlmsg_parse(nlh, 0, tb, KTLSD_HANDSHAKE_A_ACCEPT_MAX, accept_policy) < 0)
		return bad_reply(reason, reason_len, "an attribute has a bad size or format");
	if (out->sockfd < 0)
		return bad_reply(reason, reason_len, "no socket");
	out->message_type = u32_or(tb[HANDSHAKE_A_ACCEPT_MESSAGE_TYPE], HANDSHAKE_MSG_TYPE_UNSPEC);
	out->auth_mode = u32_or(tb[HANDSHAKE_A_ACCEPT_AUTH_MODE], HANDSHAKE_AUTH_UNSPEC);
	out->timeout_ms = u32_or(tb[HANDSHAKE_A_ACCEPT_TIMEOUT], 0);
	out->keyring = (int32_t)u32_or(tb[KTLSD_HANDSHAKE_A_ACCEPT_KEYRING], 0);
	if (tb[HANDSHAKE_A_ACCEPT_PEERNAME])
		nla_strlcpy(out->peername, tb[HANDSHAKE_A_ACCEPT_PEERNAME], sizeof(out->peername));
	if (out->message_type != HANDSHAKE_MSG_TYPE_CLIENTHELLO &&
	    out->message_type != HANDSHAKE_MSG_TYPE_SERVERHELLO)
		return bad_reply(reason, reason_len, "unknown message type");
	if (out->auth_mode != HANDSHAKE_AUTH_UNAUTH && out->auth_mode != HANDSHAKE_AUTH_PSK &&
	    out->auth_mode != HANDSHAKE_AUTH_X509)
		return bad_reply(reason, reason_len, "unknown authentication mode");
	if (parse_peer_identities(nlh, out) < 0)
		return bad_reply(reason, reason_len, "more than 5 peer identities");
	if (parse_certificate(tb[HANDSHAKE_A_ACCEPT_CERTIFICATE], out) < 0)
		return bad_reply(reason, reason_len, "bad certificate attribute");
	return 0;
}
