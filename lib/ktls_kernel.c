// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kernel kTLS layer: attach the "tls" ULP, install keys per direction,
 * optional knobs, and read back what a socket has installed.
 *
 * Kernel facts this file relies on (net/tls/tls_main.c, 6.x):
 *  - TCP_ULP "tls" needs an ESTABLISHED socket (ENOTCONN otherwise); a second
 *    attach gives EEXIST; an unloaded tls module is autoloaded only for
 *    CAP_NET_ADMIN callers, everyone else gets ENOENT.
 *  - getsockopt(TLS_TX/TLS_RX) accepts exactly sizeof(struct tls_crypto_info)
 *    (version + cipher only) or the cipher's full struct, EINVAL otherwise;
 *    EBUSY when that direction is not configured.  We only ever ask for the
 *    4-byte header so key material is never copied back to userspace.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "ktls_internal.h"

static int ulp_name(int fd, char *name, socklen_t size)
{
	socklen_t len = size - 1;

	memset(name, 0, size);
	if (getsockopt(fd, SOL_TCP, TCP_ULP, name, &len) < 0)
		return -errno;
	return 0;
}

static int fail_ulp(int fd, int err)
{
	char name[16];

	switch (err) {
	case ENOENT:
		return ktls_fail(err, "kernel has no TLS ULP: modprobe tls "
				      "(the kernel autoloads it only for CAP_NET_ADMIN)");
	case ENOTCONN:
		return ktls_fail(err, "socket is not a connected TCP socket "
				      "(kTLS needs an established connection)");
	case ENOTSOCK:
		return ktls_fail(err, "fd %d is not a socket", fd);
	case ENOPROTOOPT:
	case EOPNOTSUPP:
		return ktls_fail(err, "fd %d is not a TCP socket", fd);
	case EEXIST:
		if (ulp_name(fd, name, sizeof(name)) == 0)
			return ktls_fail(err, "socket already carries ULP \"%s\"", name);
		return ktls_fail(err, "socket already carries another ULP");
	case EBADF:
		return ktls_fail(err, "fd %d is not open", fd);
	}
	return ktls_fail(err, "TCP_ULP \"tls\": %s", strerror(err));
}

int ktls_attach_ulp(int fd)
{
	char name[16];
	int err;

	ktls_clear_error();
	if (setsockopt(fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")) == 0)
		return 0;
	err = errno;	/* ulp_name() may overwrite errno */
	if (err == EEXIST && ulp_name(fd, name, sizeof(name)) == 0 && !strcmp(name, "tls"))
		return 0;
	return fail_ulp(fd, err);
}

static const char *dir_name(enum ktls_direction dir)
{
	switch (dir) {
	case KTLS_DIR_TX:
		return "TX";
	case KTLS_DIR_RX:
		return "RX";
	}
	return "?";
}

static int fail_install(enum ktls_direction dir, const struct ktls_crypto_params *p, int err)
{
	const char *cipher = ktls_cipher_name(p->cipher);
	const char *version = ktls_version_name(p->version);

	switch (err) {
	case EBUSY:
	case EEXIST:
		return ktls_fail(err, "%s already installed and this kernel cannot rekey %s %s",
				 dir_name(dir), version, cipher);
	case ENOENT:
	case ENOPKG:
		return ktls_fail(err, "kernel crypto has no %s for kTLS "
				      "(missing crypto module, or kernel built without it)", cipher);
	case EINVAL:
		return ktls_fail(err, "kernel rejected %s %s for %s "
				      "(cipher or version not supported by this kernel)",
				 version, cipher, dir_name(dir));
	case ENOPROTOOPT:
		return ktls_fail(err, "socket has no TLS ULP attached");
	case ENOMEM:
		return ktls_fail(err, "kernel out of memory installing %s", dir_name(dir));
	}
	return ktls_fail(err, "installing %s %s %s: %s", dir_name(dir), version, cipher,
			 strerror(err));
}

int ktls_install(int fd, enum ktls_direction dir, const struct ktls_crypto_params *params)
{
	uint8_t info[KTLS_CRYPTO_INFO_MAX];
	int size, optname, rc = 0;

	ktls_clear_error();
	if (!params || (dir != KTLS_DIR_TX && dir != KTLS_DIR_RX))
		return ktls_fail(EINVAL, "bad arguments to ktls_install");
	size = ktls_crypto_info_build(params, info);
	if (size < 0) {
		errno = -size;	/* the reason is already recorded */
		goto out;
	}
	if (ktls_attach_ulp(fd) < 0) {
		rc = -1;
		goto out;
	}
	optname = dir == KTLS_DIR_TX ? TLS_TX : TLS_RX;
	if (setsockopt(fd, SOL_TLS, optname, info, (socklen_t)size) < 0)
		rc = fail_install(dir, params, errno);
out:
	explicit_bzero(info, sizeof(info));
	return size < 0 ? -1 : rc;
}

int ktls_install_both(int fd, const struct ktls_crypto_params *tx,
		      const struct ktls_crypto_params *rx)
{
	if (ktls_install(fd, KTLS_DIR_TX, tx) < 0)
		return -1;
	return ktls_install(fd, KTLS_DIR_RX, rx);
}

static int set_int_opt(int fd, int optname, int value, const char *what)
{
	ktls_clear_error();
	if (setsockopt(fd, SOL_TLS, optname, &value, sizeof(value)) == 0)
		return 0;
	switch (errno) {
	case ENOPROTOOPT:
		return ktls_fail(errno, "%s: socket has no TLS ULP, or kernel too old", what);
	case EINVAL:
		return ktls_fail(errno, "%s: not allowed in this state "
					"(needs the direction installed; NO_PAD is TLS 1.3 only)",
				 what);
	}
	return ktls_fail(errno, "%s: %s", what, strerror(errno));
}

int ktls_set_rx_expect_no_pad(int fd, int enable)
{
	return set_int_opt(fd, TLS_RX_EXPECT_NO_PAD, !!enable, "TLS_RX_EXPECT_NO_PAD");
}

int ktls_set_tx_zerocopy_ro(int fd, int enable)
{
	return set_int_opt(fd, TLS_TX_ZEROCOPY_RO, !!enable, "TLS_TX_ZEROCOPY_RO");
}

static int query_dir(int fd, int optname, struct ktls_dir_info *out)
{
	struct tls_crypto_info base;
	socklen_t len = sizeof(base);
	const struct ktls_cipher_row *row;

	memset(out, 0, sizeof(*out));
	if (getsockopt(fd, SOL_TLS, optname, &base, &len) < 0)
		return errno == EBUSY ? 0 : -errno;
	row = ktls_cipher_row_by_kernel_type(base.cipher_type);
	out->installed = 1;
	out->version = base.version;
	out->cipher = row ? row->id : 0;
	return 0;
}

static int query_knob(int fd, int optname)
{
	int value = 0;
	socklen_t len = sizeof(value);

	if (getsockopt(fd, SOL_TLS, optname, &value, &len) < 0)
		return -1;
	return value;
}

int ktls_query(int fd, struct ktls_info *info)
{
	char name[16];
	int rc;

	ktls_clear_error();
	if (!info)
		return ktls_fail(EINVAL, "ktls_query: info is NULL");
	memset(info, 0, sizeof(*info));
	rc = ulp_name(fd, name, sizeof(name));
	if (rc < 0)
		return fail_ulp(fd, -rc);
	info->ulp_attached = !strcmp(name, "tls");
	info->tx_zerocopy_ro = info->rx_expect_no_pad = -1;
	if (!info->ulp_attached)
		return 0;
	rc = query_dir(fd, TLS_TX, &info->tx);
	if (rc == 0)
		rc = query_dir(fd, TLS_RX, &info->rx);
	if (rc < 0)
		return ktls_fail(-rc, "reading back TLS state: %s", strerror(-rc));
	info->tx_zerocopy_ro = query_knob(fd, TLS_TX_ZEROCOPY_RO);
	info->rx_expect_no_pad = query_knob(fd, TLS_RX_EXPECT_NO_PAD);
	return 0;
}
