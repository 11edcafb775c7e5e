/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The kernel's handshake upcall protocol (generic netlink family "handshake").
 *
 * Vendored from the Linux kernel's include/uapi/linux/handshake.h as shipped
 * in 6.12 (generated from Documentation/netlink/specs/handshake.yaml;
 * licensed "(GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause"), because
 * Debian 12's linux-libc-dev (6.1) does not carry it.  The kernel's names
 * and include guard are kept, so a system <linux/handshake.h>, where one
 * exists, is used instead (the values are ABI and cannot differ).
 *
 * HANDSHAKE_A_ACCEPT_KEYRING (9) is newer than 6.12: 6.12 links the
 * consumer's keyring into the accepting process's process keyring instead
 * of naming it.  We parse it when present and never require it.
 */
#ifndef KTLSD_HANDSHAKE_UAPI_H
#define KTLSD_HANDSHAKE_UAPI_H

#if defined(__has_include)
#if __has_include(<linux/handshake.h>)
#include <linux/handshake.h>
#endif
#endif

#ifndef _UAPI_LINUX_HANDSHAKE_H
#define _UAPI_LINUX_HANDSHAKE_H

#define HANDSHAKE_FAMILY_NAME		"handshake"
#define HANDSHAKE_FAMILY_VERSION	1

enum handshake_handler_class {
	HANDSHAKE_HANDLER_CLASS_NONE,
	HANDSHAKE_HANDLER_CLASS_TLSHD,
	HANDSHAKE_HANDLER_CLASS_MAX,
};

enum handshake_msg_type {
	HANDSHAKE_MSG_TYPE_UNSPEC,
	HANDSHAKE_MSG_TYPE_CLIENTHELLO,
	HANDSHAKE_MSG_TYPE_SERVERHELLO,
};

enum handshake_auth {
	HANDSHAKE_AUTH_UNSPEC,
	HANDSHAKE_AUTH_UNAUTH,
	HANDSHAKE_AUTH_PSK,
	HANDSHAKE_AUTH_X509,
};

enum {
	HANDSHAKE_A_X509_CERT = 1,
	HANDSHAKE_A_X509_PRIVKEY,

	__HANDSHAKE_A_X509_MAX,
	HANDSHAKE_A_X509_MAX = (__HANDSHAKE_A_X509_MAX - 1)
};

enum {
	HANDSHAKE_A_ACCEPT_SOCKFD = 1,
	HANDSHAKE_A_ACCEPT_HANDLER_CLASS,
	HANDSHAKE_A_ACCEPT_MESSAGE_TYPE,
	HANDSHAKE_A_ACCEPT_TIMEOUT,
	HANDSHAKE_A_ACCEPT_AUTH_MODE,
	HANDSHAKE_A_ACCEPT_PEER_IDENTITY,
	HANDSHAKE_A_ACCEPT_CERTIFICATE,
	HANDSHAKE_A_ACCEPT_PEERNAME,

	__HANDSHAKE_A_ACCEPT_MAX,
	HANDSHAKE_A_ACCEPT_MAX = (__HANDSHAKE_A_ACCEPT_MAX - 1)
};

enum {
	HANDSHAKE_A_DONE_STATUS = 1,
	HANDSHAKE_A_DONE_SOCKFD,
	HANDSHAKE_A_DONE_REMOTE_AUTH,

	__HANDSHAKE_A_DONE_MAX,
	HANDSHAKE_A_DONE_MAX = (__HANDSHAKE_A_DONE_MAX - 1)
};

enum {
	HANDSHAKE_CMD_READY = 1,
	HANDSHAKE_CMD_ACCEPT,
	HANDSHAKE_CMD_DONE,

	__HANDSHAKE_CMD_MAX,
	HANDSHAKE_CMD_MAX = (__HANDSHAKE_CMD_MAX - 1)
};

#define HANDSHAKE_MCGRP_NONE	"none"
#define HANDSHAKE_MCGRP_TLSHD	"tlshd"

#endif /* _UAPI_LINUX_HANDSHAKE_H */

/* Later kernels append to the ACCEPT attribute space; the numbers are fixed
 * by the order in handshake.yaml. */
#define KTLSD_HANDSHAKE_A_ACCEPT_KEYRING	9
/* The largest ACCEPT attribute we parse (our policy table's size). */
#define KTLSD_HANDSHAKE_A_ACCEPT_MAX		KTLSD_HANDSHAKE_A_ACCEPT_KEYRING

#endif /* KTLSD_HANDSHAKE_UAPI_H */
