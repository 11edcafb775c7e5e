/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The network process's sandbox (main, doors, workers: everything that
 * parses peers' and applications' bytes): after the credentials are loaded
 * and the privilege drop, it can no longer open key or PSK files, nor any
 * file outside a short list of public system directories, and it is not
 * dumpable.  The key process (keyproc.c) reads the files it still needs on
 * a reload and passes descriptors.  See docs/architecture.md, threat model.
 */
#ifndef KTLSD_SANDBOX_H
#define KTLSD_SANDBOX_H

#include <stdbool.h>

#include "config/config.h"

/* What protects the keys from a compromised network process, for the log
 * and `ktls status`. */
#include "ktls_proto.h"

#define SANDBOX_KEYPROC KTLS_PROT_KEYPROC
#define SANDBOX_KEYPROC_NODUMP KTLS_PROT_KEYPROC_NODUMP
#define SANDBOX_LANDLOCK_FS KTLS_PROT_LANDLOCK_FS
#define SANDBOX_LANDLOCK_NET KTLS_PROT_LANDLOCK_NET
#define SANDBOX_KEYPROC_SECCOMP KTLS_PROT_KEYPROC_SECCOMP
#define SANDBOX_NETWORK_SECCOMP KTLS_PROT_NETWORK_SECCOMP

/* Restricts this process (call single-threaded, after privdrop_apply(),
 * which sets no_new_privs, and before any thread starts: threads inherit
 * it).  socket_dir: the application socket's directory, where shutdown
 * removes the socket, or NULL.  key_process: keyproc_start() ran (without
 * it the keys live here and nothing is restricted).  Logs once what the kernel cannot enforce.
 * 0, or -errno when a mechanism the kernel offers failed (the caller
 * stops: running without it would be a silent downgrade). */
int sandbox_network_process(const struct cfg *cfg, bool key_process, const char *socket_dir);

/* Installs the network process's system call filter on the calling
 * thread (and the threads it starts later); sandbox_network_process()
 * calls it.  For good.  0, or -errno (-ENOSYS: unknown architecture).
 * Exposed for tests/unit/test_seccomp_filter.c. */
int sandbox_network_seccomp(void);

/* SANDBOX_* bits in force, and the Landlock ABI (0: none). */
unsigned sandbox_protections(void);
int sandbox_landlock_abi(void);

#endif
