/* SPDX-License-Identifier: MIT */
/*
 * A peer's UDP endpoint (whitepaper 2.1, "endpoint") and its one text form,
 * as the UAPI writes it: "1.2.3.4:51820", "[2001:db8::1]:51820" and, for an
 * IPv6 address, an optional zone: "[fe80::1%eth0]:51820" or
 * "[fe80::1%2]:51820".
 *
 * Ownership: plain value type, embedded in its owner (struct peer, the UAPI
 * model); nothing to free.
 */
#ifndef LW_ENDPOINT_H
#define LW_ENDPOINT_H

#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>

/* Longest text form with its NUL: "[" v6 "%" zone "]:" port. */
#define ENDPOINT_STR_MAX (1 + INET6_ADDRSTRLEN + 1 + IFNAMSIZ + 2 + 5 + 1)

struct endpoint {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	};
	/* The IPv6 zone as it was given ("eth0", "2"), printed back as
	 * given; "" for no zone and for an endpoint learned from a packet
	 * (then in6.sin6_scope_id alone says it). */
	char zone[IFNAMSIZ];
};

/*
 * Numeric, port required, brackets around IPv6 and only IPv6. The zone is
 * an interface name of this namespace (if_nametoindex) or a decimal scope
 * id. Reads exactly len bytes (no NUL needed). 0, or -EINVAL with *ep
 * unchanged.
 */
int endpoint_parse(struct endpoint *ep, const char *s, size_t len);
/*
 * The text form endpoint_parse() reads back, into buf (ENDPOINT_STR_MAX
 * bytes are always enough). A learned IPv6 scope id prints as its interface
 * name, or as the number if no interface has it. An endpoint of neither
 * family prints as "".
 */
void endpoint_format(char *buf, size_t buflen, const struct endpoint *ep);

#endif
