/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The key process ("ktlsd: keys"): the only process that reads private key
 * files (profiles' key = ...) and holds those keys.  The network process
 * (main, doors, workers: everything that parses peers' input) gets a
 * gnutls_privkey_t per profile whose sign callbacks are one round trip on
 * a SOCK_SEQPACKET socketpair (keyproc_proto.h).  Keys are named by
 * (generation, index): a generation per credential load, an index per
 * profile; a whole generation is dropped when its credentials are freed.
 *
 * The key process also decides which files the network process may read:
 * it is asked by (generation, profile index and name, kind), never by
 * path, and passes a descriptor of a certificate, CA or PSK file that its
 * own parse of the configuration names; the sandboxed network process
 * cannot open them itself (sandbox.c).
 *
 * Not in the key process: PSK values (TLS 1.3's key schedule uses them
 * directly; the key process opens the file, the network process parses it)
 * and keys from the kernel's keyrings (netlink x509 mode, keyring.c).
 */
#ifndef KTLSD_KEYPROC_H
#define KTLSD_KEYPROC_H

#include <gnutls/abstract.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/config.h"
#include "keys/keyproc_proto.h"

/* Signers: threads of the key process, each on a socket of its own (see
 * keyproc.c); cfg->signers, or auto: one per worker. */
#define KP_SIGNERS_MAX 64

/* Forks the key process, which drops to cfg's user (when started as root)
 * with no capabilities and serves until its socket closes or ktlsd dies.
 * Call single-threaded, before any key is loaded.  0 or -errno. */
int keyproc_start(const struct cfg *cfg, int use_syslog);

/* The worker count in force (ktlsd -w), which signers = auto follows; 0:
 * cfg->workers, and when that is 0 too, one per CPU.  Before keyproc_start. */
void keyproc_set_workers(unsigned workers);

/* How many signers a key process started with cfg runs. */
unsigned keyproc_signers_for(const struct cfg *cfg);

/* Closes our end (the key process exits on EOF) and reaps it. */
void keyproc_stop(void);

bool keyproc_active(void);	/* started, and not yet stopped */
pid_t keyproc_pid(void);	/* 0 when none */

/* SIGCHLD: 1 if the key process died (reaped and logged), else 0.  From
 * then on signing fails with GNUTLS_E_PK_SIGN_FAILED; main() stops ktlsd. */
int keyproc_reap(void);

/* Seen dead (reaped, or its socket failed); safe from any thread. */
bool keyproc_dead(void);

/* A fresh generation number (never 0). */
uint32_t keyproc_new_generation(void);

/* A new generation bound, in the key process, to the configuration it
 * parsed itself: the first time the one both processes parsed before the
 * fork, then the config file re-read (a reload).  *config_fd (when not
 * NULL) gets a read-only descriptor of that file, -1 for built-in
 * defaults, for the network process to parse the same text without
 * opening it.  The generation is kept for the next creds_load_all().
 * 0, or -errno with err set (the key process's reason: a bad file). */
int keyproc_config(uint32_t *generation, int *config_fd, char *reason, size_t reason_len);

/* For creds_load_all(): the generation keyproc_config() prepared, else a
 * new one made the same way.  0 or -errno with err set. */
int keyproc_load_generation(uint32_t *generation, char *reason, size_t reason_len);

/* Asks the key process to load the key of profile index (named name, which
 * it checks) of generation's configuration, and makes *out, a privkey that
 * signs through it.  0, or -errno with err set (the key process's own
 * reason for a refused file). */
int keyproc_privkey(uint32_t generation, uint32_t index, const char *name,
		    gnutls_privkey_t *out, char *reason, size_t reason_len);

/* A read-only descriptor of profile index's certificate, CA or PSK file in
 * generation's configuration, opened by the key process (never a key
 * file).  fd, or -errno with err set. */
int keyproc_open(uint32_t generation, uint32_t index, const char *name, enum kp_file kind,
		 char *reason, size_t reason_len);

/* Forget every key of generation (best effort: logged on failure). */
void keyproc_drop(uint32_t generation);

/* The key process's loop: requests on fd until EOF.  0, or -errno. */
int keyproc_serve(int fd);

/* A signer's loop (a thread of the key process): DATA and SIGN_* only,
 * anything else refused with EPERM.  0 at EOF, or -errno. */
int keyproc_serve_signer(int fd);

/* The key process's system call filter (seccomp_filter.h), installed after
 * the privilege drop, before keyproc_serve: from then on a system call
 * outside its list kills it with SIGSYS, and ktlsd stops.  0 or -errno. */
int keyproc_sandbox(void);

/* Ends a process under that filter (the key process, a test's child). */
__attribute__((noreturn)) void keyproc_exit(int status);

/* Between keyproc.c (the process) and keyproc_client.c (asking it): our
 * end of the socketpair, -1 when there is none or the process is gone. */
int keyproc_fd(void);
/* Signer i's socket (0: keyproc_fd(), which also signs), and how many. */
int keyproc_signer_fd(unsigned i);
unsigned keyproc_signers(void);
void keyproc_mark_dead(const char *why);

#endif
