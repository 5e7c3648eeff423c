/* SPDX-License-Identifier: MIT */
/*
 * Protocols and ports in the policy (struct lw_svc, model.h): parsing
 * "tcp/22,443", "udp/53", "tcp/8000-8080", "icmp", "tcp"; telling such a
 * token from a name; formatting; matching a protocol and port. Pure
 * functions; the only allocation is growing the caller's array.
 */
#ifndef LW_SVC_H
#define LW_SVC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "model.h"

/* Whether tok looks like a protocol spec (tcp, udp, icmp, optionally
 * followed by /...), as opposed to a name. */
bool svc_is_spec(const char *tok);
/*
 * Appends the services of one spec token to (*v, *n, *cap). 0, -EINVAL
 * with what is wrong in err, or -ENOMEM.
 */
int svc_parse(const char *tok, struct lw_svc **v, size_t *n, size_t *cap,
	      char *err, size_t errlen);
/* Offset in rhs ("a, b tcp/22 udp/53") where the specs begin: the first
 * spec-like word not after a comma; strlen(rhs) if none. */
size_t svc_split(const char *rhs);
/* "tcp/22,443 udp/53 icmp", or "every protocol" for n == 0. */
void svc_format(struct lw_buf *b, const struct lw_svc *v, size_t n);
const char *svc_proto_name(enum lw_proto p);
/* Whether proto/port is among v (n == 0: everything). port is ignored for
 * icmp. */
bool svc_match(const struct lw_svc *v, size_t n, enum lw_proto proto,
	       uint16_t port);

#endif
