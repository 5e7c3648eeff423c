/* SPDX-License-Identifier: MIT */
/*
 * Inside lanwire up / down (apply.h), shared by its files:
 *   apply.c       up: refuse what is not ours, create, converge
 *   apply_wg.c    the WireGuard side: keys, port, peers by difference
 *                 (which peers and fields differ: wgdiff.c, pure)
 *   apply_down.c  down: remove what the state says up added, then verify
 *   apply_overlay.c  up/down of an overlay router: unreachable routes,
 *                 forwarding, one interface per link (each through
 *                 apply_up()), BIRD, the hub's client interface
 *   apply_bird.c  BIRD with its own configuration, socket and pid file
 *   apply_linkdown.c  opt-in fast failover of overlay links: lanwired's
 *                 carrier, ignore_routes_with_linkdown, backup routes
 *   apply_host.c  the host's view: links, addresses, routes, sysctls and
 *                 nft read back through ip/sysctl/nft; the state file;
 *                 who owns a foreign interface; the change report
 *
 * Ownership: struct up_ctx lives on apply_up()'s / apply_down()'s stack;
 * its state is freed there.
 */
#ifndef LW_APPLY_INT_H
#define LW_APPLY_INT_H

#include <limits.h>

#include "apply.h"
#include "upstate.h"

struct up_ctx {
	const struct lw_node_plan *pl;
	const struct lw_apply *o;
	struct lw_up_state st;
	char state_path[PATH_MAX];
	char cur[LW_IFNAME_MAX + 1]; /* the interface's name now */
	unsigned int changes;	     /* lines reported */
};

/* "lanwire: up NODE: ..." on stderr; returns 1. */
int apply_fail(const struct up_ctx *u, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* One change, "NODE: ..." on o->report. */
void apply_report(struct up_ctx *u, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Runs argv echoed, input (if any) on its stdin; its exit status. */
int host_run(const struct lw_apply *o, const char *const argv[],
	     const char *input);
/* Runs argv quietly; its stdout (caller frees), or NULL if it failed. */
char *host_query(const struct lw_apply *o, const char *const argv[]);

/* The link named name: its index and MTU. 0 or -ENODEV. */
int host_link(const struct lw_apply *o, const char *name,
	      unsigned int *ifindex, unsigned int *mtu);
/* The name of the link with index ifindex. 0 or -ENODEV. */
int host_link_name(const struct lw_apply *o, unsigned int ifindex,
		   char name[static LW_IFNAME_MAX + 1]);
/* Addresses (with their prefix length; no link-local) or main-table
 * routes on link name, added to *out. 0 or -errno. */
int host_addrs(const struct lw_apply *o, const char *name,
	       struct lw_up_prefixes *out);
int host_routes(const struct lw_apply *o, const char *name,
		struct lw_up_prefixes *out);
bool host_nft_table(const struct lw_apply *o);
/* The sysctl's value (caller frees) or NULL. */
char *host_sysctl(const struct lw_apply *o, const char *key);
/* Who serves interface name, as "wireguard-go (pid 12)", "a kernel
 * WireGuard interface" or "owner unknown". */
void host_owner(const struct lw_apply *o, const char *name, char *buf,
		size_t size);
/* Whether pid runs in the network namespace up works in (o->netns, or
 * this process's): a daemon of the same interface name in another
 * namespace (the other end of an overlay link, a lab) is not ours. */
bool host_pid_here(const struct lw_apply *o, pid_t pid);
/* Whether pid is alive and still runs with name among its arguments. */
bool host_pid_serves(pid_t pid, const char *name);

/* apply_linkdown.c: lanwired's carrier on overlay links, opt-in by
 * LANWIRE_LINK_CARRIER_MS (0: off; a bad value: 1, said). u needs pl and
 * o. carrier_link: the link's peer; carrier_up, after the links:
 * ignore_routes_with_linkdown and the backup routes; carrier_down: the
 * sysctl back. 0 or 1 (said). */
int carrier_from_env(const struct up_ctx *u, int *ms);
/* Environment variable name: unset or empty is 0; otherwise 0 or a whole
 * number of ms from min to max, or 1 (said). */
int env_ms(const struct up_ctx *u, const char *name, int min, int max,
	   int *ms);
void carrier_link(const struct lw_apply *o, const struct lw_link_plan *lp,
		  int ms);
int carrier_up(const struct up_ctx *u);
int carrier_down(const struct up_ctx *u);

/* RUN/IFACE.state. load: 0, -ENOENT, -EINVAL (not ours to trust) or
 * -errno. save: atomically, 0600. */
int state_load(struct up_ctx *u);
int state_save(struct up_ctx *u);

/* apply.c: the nft table inet lanwire brought to the ruleset want ("":
 * removed if up loaded it), the last one loaded kept in path; u->st.nft
 * says whether up loaded it. 0 or 1 (reported). */
int apply_nft(struct up_ctx *u, const char *path, const char *want);
/* apply_nft() with the plan's ruleset: the one it came with (the agent's
 * signed state) or the one rendered from its firewall model. */
int apply_plan_nft(struct up_ctx *u, const char *path);

/* apply_wg.c: the interface's keys, port and peers brought to the plan
 * with the fewest changes (never re-setting an unchanged key or port).
 * fresh: the interface was just made. 0 or 1 (reported). */
int apply_wg(struct up_ctx *u, bool fresh);
/* apply_down.c: removes everything u's state records (a failed first up
 * undone). */
void apply_undo(struct up_ctx *u);
/* apply_down.c: one recorded sysctl set back to its old value if it
 * differs (a key that no longer exists, its interface gone, is left).
 * 0 or 1 (reported). */
int restore_sysctl(struct up_ctx *u, const struct lw_up_sysctl *s);

/* apply_overlay.c: up / down of a node whose plan has links. */
int apply_overlay_up(const struct lw_node_plan *pl, const struct lw_apply *o);
int apply_overlay_down(const struct lw_node_plan *pl,
		       const struct lw_apply *o);

/* apply_bird.c: RUN/NODE.bird.{conf,ctl,pid}. check_conf: bird -p on
 * conf, nothing kept. up: checked, then started (*pid set) or, when
 * *pid runs and the configuration changed, reloaded (*changed: either
 * happened). down: pid stopped
 * (if it still serves our socket), the files removed. 0, or 1 with a
 * message on stderr. */
int bird_check_conf(const struct lw_node_plan *pl, const struct lw_apply *o,
		    const char *conf);
int bird_up(const struct lw_node_plan *pl, const struct lw_apply *o,
	    const char *conf, pid_t *pid, bool *changed);
int bird_down(const struct lw_node_plan *pl, const struct lw_apply *o,
	      pid_t pid);
bool bird_alive(const struct lw_node_plan *pl, const struct lw_apply *o,
		pid_t pid);

#endif
