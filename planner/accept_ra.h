/* SPDX-License-Identifier: MIT */
/*
 * IPv6 forwarding without losing the default route (issue 10, item 6).
 *
 * With net.ipv6.conf.all.forwarding=1 the kernel treats every interface
 * as a router's and ignores router advertisements where accept_ra is 1:
 * a host that learned its IPv6 default route by SLAAC keeps it only until
 * the route's lifetime runs out, then loses IPv6. accept_ra=2 accepts
 * them even when forwarding. So before lanwire up switches IPv6
 * forwarding on, every interface with a default route of proto ra (read
 * from `ip -6 -o route show default proto ra`) gets accept_ra=2, its old
 * value recorded in the state file as any other sysctl (upstate.h) and
 * set back by down.
 *
 * Pure text in and out; apply.c runs the commands.
 */
#ifndef LW_ACCEPT_RA_H
#define LW_ACCEPT_RA_H

#include <stddef.h>

#include "model.h"

#define LW_RA_MAX_IFACES 4

/* The interfaces named by " dev NAME" on the lines of route_text (each
 * once, in order of appearance; a multipath route names several). 0, or
 * -ENOSPC when more than max are named, -EINVAL for a name that is not an
 * interface name. */
int ra_default_ifaces(const char *route_text,
		      char names[][LW_IFNAME_MAX + 1], size_t max, size_t *n);

/* "net.FAMILY.conf.IFACE.NAME", or the slash form when IFACE has a dot
 * (ra_sysctl_key; the overlay's rp_filter, apply_overlay.c). */
void iface_sysctl_key(char *buf, size_t size, const char *family,
		      const char *iface, const char *name);

/* "net.ipv6.conf.NAME.accept_ra", or the slash form
 * "net/ipv6/conf/NAME/accept_ra" when NAME has a dot (a VLAN such as
 * eth0.10), which sysctl(8) would otherwise split. */
void ra_sysctl_key(char *buf, size_t size, const char *iface);

enum ra_action {
	RA_KEEP, /* "2" already, or "0": RAs were not accepted anyway */
	RA_SET,	 /* "1": would stop accepting them; set 2 */
	RA_BAD,	 /* anything else: refuse */
};

/* What to do with an interface whose accept_ra reads cur. */
enum ra_action ra_decide(const char *cur);

#endif
