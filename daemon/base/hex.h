/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hex digits in the secret files ktlsd reads (PSK files, ticket_key_file).
 * A leaf: includes nothing of the daemon. */
#ifndef KTLSD_BASE_HEX_H
#define KTLSD_BASE_HEX_H

/* The value of one hex digit (either case), or -1. */
int hex_digit_value(char c);

#endif
