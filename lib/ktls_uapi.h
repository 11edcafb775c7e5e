/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel TLS uapi with fallbacks: build hosts may have older linux-libc-dev
 * than the kernels we run on (Debian 12 ships 6.1 headers; we run on 6.12).
 */
#ifndef KTLS_UAPI_H
#define KTLS_UAPI_H

#include <linux/tls.h>
#include <netinet/tcp.h>

#ifndef SOL_TLS
#define SOL_TLS 282
#endif
#ifndef TCP_ULP
#define TCP_ULP 31
#endif
#ifndef TLS_TX_ZEROCOPY_RO
#define TLS_TX_ZEROCOPY_RO 3
#endif
#ifndef TLS_RX_EXPECT_NO_PAD
#define TLS_RX_EXPECT_NO_PAD 4
#endif
#ifndef TLS_SET_RECORD_TYPE
#define TLS_SET_RECORD_TYPE 1
#endif
#ifndef TLS_GET_RECORD_TYPE
#define TLS_GET_RECORD_TYPE 2
#endif
#ifndef TLS_CIPHER_AES_CCM_128
#define TLS_CIPHER_AES_CCM_128 53
#endif
#ifndef TLS_CIPHER_CHACHA20_POLY1305
#define TLS_CIPHER_CHACHA20_POLY1305 54
#endif

#endif /* KTLS_UAPI_H */
