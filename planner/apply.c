// SPDX-License-Identifier: MIT
/*
 * lanwire up (apply.h): a node's plan brought onto this host by
 * difference. The interface is ours only if RUN/IFACE.state says up made
 * it and its ifindex still matches; anything else of that name is left
 * untouched and refused. A new interface is made by starting lanwired
 * (as an unprivileged user unless told); then, on every run, its MTU,
 * keys, port and peers (apply_wg.c), addresses, routes, sysctls and nft
 * table are compared with the plan and only what differs is changed,
 * each change reported as one line and recorded in the state file for
 * down. No file with a key is ever written: keys reach wg on its stdin.
 */
#include "apply_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accept_ra.h"
#include "proc.h"
#include "render.h"
#include "txn.h"

bool apply_iface_exists(const struct lw_apply *o, const char *iface)
{
	unsigned int idx, mtu;

	return !host_link(o, iface, &idx, &mtu);
}

char *apply_default_daemon(const char *argv0)
{
	char self[PATH_MAX], *slash, *path;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	(void)argv0;
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash && asprintf(&path, "%.*s/lanwired",
				      (int)(slash - self), self) >= 0) {
			if (!access(path, X_OK))
				return path;
			free(path);
		}
	}
	return strdup("lanwired");
}

static bool drops_privileges(const struct lw_apply *o)
{
	return o->user && *o->user && strcmp(o->user, "root");
}

/* ---- the interface ---- */

/* Whether process pid runs in the network namespace up works in. A
 * process whose namespace we cannot read (lanwired running as another
 * user, seen from lanwire@.service, which has no CAP_SYS_PTRACE) is taken
 * as ours, as before this check existed. The
 * case the check is for, several namespaces' daemons of one name on one
 * host, is root's with every capability, which reads them all. */
bool host_pid_here(const struct lw_apply *o, pid_t pid)
{
	char path[PATH_MAX];
	struct stat a, b;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	if (stat(path, &a))
		return true;
	if (o->netns)
		snprintf(path, sizeof(path), "%s/%s", LW_NETNS_DIR, o->netns);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/net");
	return !stat(path, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* The recorded daemons cut to those in our network namespace: the
 * daemons of every namespace's interface of that name match by name. */
static void only_here(const struct lw_apply *o, struct lw_up_state *st)
{
	size_t i, kept = 0;

	for (i = 0; i < st->n_pids; i++)
		if (host_pid_here(o, st->pids[i]))
			st->pids[kept++] = st->pids[i];
	st->n_pids = kept;
}

/* lanwired IFACE (daemonising once the TUN and UAPI socket exist), then
 * the state recorded: name, ifindex, daemon processes. */
static int link_create(struct up_ctx *u)
{
	const char *argv[] = { u->o->daemon, "-u", u->o->user, u->pl->iface,
			       NULL };
	struct lw_up_state *st = &u->st;
	unsigned int mtu;

	if (!drops_privileges(u->o)) {
		argv[1] = u->pl->iface;
		argv[2] = NULL;
	}
	if (host_run(u->o, argv, NULL) ||
	    host_link(u->o, u->pl->iface, &st->ifindex, &mtu))
		return apply_fail(u, "%s did not create interface %s",
				  u->o->daemon, u->pl->iface);
	snprintf(st->iface, sizeof(st->iface), "%s", u->pl->iface);
	snprintf(st->user, sizeof(st->user), "%s",
		 drops_privileges(u->o) ? u->o->user : "root");
	snprintf(u->cur, sizeof(u->cur), "%s", u->pl->iface);
	st->n_pids = proc_find_daemon(u->o->daemon, u->pl->iface, st->pids,
				      LW_UP_MAX_PIDS);
	only_here(u->o, st);
	apply_report(u, "interface %s created (%s as user %s, pid %d)",
		     u->pl->iface, u->o->daemon, st->user,
		     st->n_pids ? (int)st->pids[st->n_pids - 1] : 0);
	return state_save(u);
}

static int link_mtu(struct up_ctx *u, bool fresh)
{
	char mtu_s[16];
	const char *argv[] = { "ip", "link", "set", "mtu", mtu_s, "up", "dev",
			       u->cur, NULL };
	unsigned int idx, mtu;

	if (host_link(u->o, u->cur, &idx, &mtu))
		return apply_fail(u, "interface %s vanished", u->cur);
	if (!fresh && mtu == u->pl->mtu)
		return 0;
	snprintf(mtu_s, sizeof(mtu_s), "%u", u->pl->mtu);
	if (host_run(u->o, argv, NULL))
		return apply_fail(u, "cannot set the MTU of %s", u->cur);
	if (fresh)
		apply_report(u, "MTU %u, link up", u->pl->mtu);
	else
		apply_report(u, "MTU %u -> %u", mtu, u->pl->mtu);
	return 0;
}

/* ---- addresses and routes ---- */

static int addr_cmd(struct up_ctx *u, const char *obj, const char *verb,
		    const struct lw_prefix *p)
{
	char text[LW_PREFIX_STRLEN];
	const char *argv[] = { "ip", p->family == AF_INET6 ? "-6" : "-4", obj,
			       verb, text, "dev", u->cur, NULL };

	prefix_format(text, sizeof(text), p);
	if (host_run(u->o, argv, NULL))
		return apply_fail(u, "ip %s %s %s dev %s failed", obj, verb,
				  text, u->cur);
	apply_report(u, "%s %s %s", obj, text,
		     !strcmp(verb, "add") ? "added" : "removed");
	return 0;
}

/* Adds what the plan wants and the host lacks; removes what up added
 * before and the plan no longer wants. want[] of n; mine: st's record. */
static int converge_list(struct up_ctx *u, const char *obj,
			 const struct lw_prefix *want, size_t n,
			 struct lw_up_prefixes *mine,
			 const struct lw_up_prefixes *have)
{
	size_t i;
	int r = 0;

	/* Removals first: deleting an IPv4 primary address takes the
	 * secondaries of its subnet with it. */
	for (i = mine->n; i-- > 0 && !r;) {
		struct lw_prefix p = mine->v[i];
		bool wanted = false;

		for (size_t j = 0; j < n; j++)
			wanted |= prefix_equal(&want[j], &p);
		if (wanted)
			continue;
		if (up_prefixes_has(have, &p))
			r = addr_cmd(u, obj, "del", &p);
		up_prefixes_del(mine, &p);
	}
	for (i = 0; i < n && !r; i++) {
		if (up_prefixes_has(have, &want[i]))
			continue;
		r = addr_cmd(u, obj, "add", &want[i]);
		if (!r)
			r = up_prefixes_add(mine, &want[i]);
	}
	return r;
}

static int converge_addrs(struct up_ctx *u)
{
	struct lw_up_prefixes have = { 0 };
	int r = host_addrs(u->o, u->cur, &have);

	if (!r)
		r = converge_list(u, "address", u->pl->addrs, u->pl->n_addrs,
				  &u->st.addrs, &have);
	free(have.v);
	return r;
}

static int converge_routes(struct up_ctx *u)
{
	struct lw_up_prefixes have = { 0 };
	int r = host_routes(u->o, u->cur, &have);

	if (!r)
		r = converge_list(u, "route", u->pl->routes, u->pl->n_routes,
				  &u->st.routes, &have);
	free(have.v);
	return r;
}

/* ---- sysctls and nft ---- */

/* One "key=value" of the plan: set when it differs, the old value kept
 * for down the first time. */
static int converge_sysctl(struct up_ctx *u, const char *setting)
{
	const char *eq = strchr(setting, '=');
	const char *argv[] = { "sysctl", "-q", "-w", setting, NULL };
	char key[96], *cur;
	int r = 0;

	snprintf(key, sizeof(key), "%.*s", (int)(eq - setting), setting);
	cur = host_sysctl(u->o, key);
	if (!cur)
		return apply_fail(u, "cannot read sysctl %s", key);
	if (strcmp(cur, eq + 1)) {
		if (up_state_add_sysctl(&u->st, key, cur) || state_save(u))
			r = apply_fail(u, "cannot record sysctl %s", key);
		else if (host_run(u->o, argv, NULL))
			r = apply_fail(u, "sysctl -w %s failed", setting);
		else
			apply_report(u, "sysctl %s %s -> %s", key, cur, eq + 1);
	}
	free(cur);
	return r;
}

/* Whether the plan sets key (one of its "key=value" sysctls). */
static bool plan_sets(const struct lw_node_plan *pl, const char *key)
{
	size_t i, n = strlen(key);

	for (i = 0; i < pl->n_sysctls; i++)
		if (!strncmp(pl->sysctls[i], key, n) && pl->sysctls[i][n] == '=')
			return true;
	return false;
}

/* Whether key is one of the interface's own (net.ipv4.conf.IFACE.*,
 * net.ipv6.conf.IFACE.*, either spelling). */
static bool iface_own_sysctl(const char *iface, const char *key)
{
	static const char *const fams[] = { "ipv4", "ipv6" };
	char own[96];
	size_t i;

	for (i = 0; i < 2; i++) {
		iface_sysctl_key(own, sizeof(own), fams[i], iface, "");
		if (!strncmp(key, own, strlen(own)))
			return true;
	}
	return false;
}

/* A sysctl of the interface's own that up set and the plan no longer
 * sets (an overlay link whose rp_filter mark a description change took
 * away) goes back to its old value and out of the state. Host-wide ones
 * (forwarding, an uplink's accept_ra) stay until down. */
static int converge_dropped_sysctls(struct up_ctx *u)
{
	struct lw_up_state *st = &u->st;
	size_t i, kept = 0;
	int r = 0;

	for (i = 0; i < st->n_sysctls; i++) {
		const struct lw_up_sysctl *s = &st->sysctls[i];
		bool dropped = iface_own_sysctl(u->cur, s->key) &&
			       !plan_sets(u->pl, s->key);

		if (dropped && !restore_sysctl(u, s))
			continue; /* set back: forgotten */
		r |= dropped;
		st->sysctls[kept++] = *s;
	}
	st->n_sysctls = kept;
	return r;
}

#define IPV6_FORWARDING "net.ipv6.conf.all.forwarding=1"

static bool plan_forwards_ipv6(const struct lw_node_plan *pl)
{
	size_t i;

	for (i = 0; i < pl->n_sysctls; i++)
		if (!strcmp(pl->sysctls[i], IPV6_FORWARDING))
			return true;
	return false;
}

/* One interface with an RA-learned default route: accept_ra=2 so that
 * forwarding does not make it ignore the advertisements that keep the
 * route (accept_ra.h); the old value recorded for down. */
static int keep_ra(struct up_ctx *u, const char *iface)
{
	char key[96], setting[112];
	const char *argv[] = { "sysctl", "-q", "-w", setting, NULL };
	char *cur = NULL;
	int r = 0;

	ra_sysctl_key(key, sizeof(key), iface);
	cur = host_sysctl(u->o, key);
	if (!cur)
		return apply_fail(u, "cannot read sysctl %s", key);
	switch (ra_decide(cur)) {
	case RA_KEEP:
		break;
	case RA_SET:
		snprintf(setting, sizeof(setting), "%s=2", key);
		if (up_state_add_sysctl(&u->st, key, cur) || state_save(u))
			r = apply_fail(u, "cannot record sysctl %s", key);
		else if (host_run(u->o, argv, NULL))
			r = apply_fail(u, "sysctl -w %s failed; not switching "
					  "IPv6 forwarding on, which would "
					  "drop %s's IPv6 default route",
				       setting, iface);
		else
			apply_report(u, "sysctl %s %s -> 2 (%s's IPv6 default "
					"route is learned from router "
					"advertisements)",
				     key, cur, iface);
		break;
	case RA_BAD:
		r = apply_fail(u, "%s has an IPv6 default route learned from "
				  "router advertisements and %s = %s, which "
				  "lanwire does not know; not switching IPv6 "
				  "forwarding on. Set it to 2 (keep accepting "
				  "them when forwarding) or 0, then run up "
				  "again",
			       iface, key, cur);
		break;
	}
	free(cur);
	return r;
}

/* Before IPv6 forwarding goes on: every interface whose IPv6 default
 * route came from a router advertisement keeps accepting them. */
static int converge_accept_ra(struct up_ctx *u)
{
	const char *argv[] = { "ip", "-6", "-o", "route", "show", "default",
			       "proto", "ra", NULL };
	char names[LW_RA_MAX_IFACES][LW_IFNAME_MAX + 1], *out;
	size_t i, n = 0;
	int r;

	if (!plan_forwards_ipv6(u->pl))
		return 0;
	out = host_query(u->o, argv);
	if (!out)
		return apply_fail(u, "cannot list the IPv6 default routes "
				     "(ip -6 route show default proto ra); "
				     "not switching IPv6 forwarding on");
	r = ra_default_ifaces(out, names, LW_RA_MAX_IFACES, &n);
	free(out);
	if (r == -ENOSPC)
		return apply_fail(u, "more than %d interfaces have an IPv6 "
				     "default route learned from router "
				     "advertisements; not switching IPv6 "
				     "forwarding on",
				  LW_RA_MAX_IFACES);
	if (r)
		return apply_fail(u, "an unreadable interface name in the "
				     "IPv6 default routes learned from router "
				     "advertisements; not switching IPv6 "
				     "forwarding on");
	for (i = 0; !r && i < n; i++)
		r = keep_ra(u, names[i]);
	return r;
}

/* The nft table to the ruleset want ("": none), path the ruleset last
 * loaded: load again only when want differs or the table is gone. The
 * ruleset replaces an older table in one nft -f transaction (it deletes
 * and recreates the table itself, render_nft.c), so there is no moment
 * without a policy. u->st.nft says whether up loaded it. */
int apply_nft(struct up_ctx *u, const char *path, const char *want)
{
	const char *del[] = { "nft", "delete", "table", "inet", LW_NFT_TABLE,
			      NULL };
	const char *load[] = { "nft", "-f", path, NULL };
	bool table = host_nft_table(u->o), same;
	char *had = NULL;
	struct lw_txn t;
	size_t len;
	int r = 0;

	if (!*want) {
		if (u->st.nft && table && host_run(u->o, del, NULL))
			r = apply_fail(u, "cannot delete table inet %s",
				       LW_NFT_TABLE);
		else if (u->st.nft && table)
			apply_report(u, "nft table inet %s removed",
				     LW_NFT_TABLE);
		if (!r) {
			u->st.nft = false;
			unlink(path);
		}
		return r;
	}
	same = table && u->st.nft && !lw_read_file(path, &had, &len, 1 << 24) &&
	       !strcmp(had, want);
	free(had);
	if (same)
		return 0;
	txn_init(&t);
	r = txn_add(&t, path, want, strlen(want), 0600, false);
	if (!r)
		r = txn_commit(&t);
	txn_free(&t);
	if (r || host_run(u->o, load, NULL))
		r = apply_fail(u, "cannot load %s", path);
	else
		apply_report(u, "nft table inet %s %s", LW_NFT_TABLE,
			     table ? "replaced" : "loaded");
	u->st.nft |= !r;
	return r;
}

int apply_plan_nft(struct up_ctx *u, const char *path)
{
	struct lw_render_opts ro = { u->o->source, u->o->run_dir };
	char *want = u->pl->nft_ruleset ? strdup(u->pl->nft_ruleset) :
					  render_nft_host_ruleset(u->pl, &ro);
	int r;

	if (!want)
		return apply_fail(u, "out of memory");
	r = apply_nft(u, path, want);
	free(want);
	return r;
}

/* RUN/IFACE.nft is the ruleset last loaded. */
static int converge_nft(struct up_ctx *u)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s.nft", u->o->run_dir, u->pl->iface);
	return apply_plan_nft(u, path);
}

/* Every part of the interface brought to the plan, then the state saved
 * whatever happened. */
static int converge(struct up_ctx *u, bool fresh)
{
	size_t i;
	int r = link_mtu(u, fresh);

	if (!r)
		r = apply_wg(u, fresh);
	if (!r)
		r = converge_addrs(u);
	if (!r)
		r = converge_routes(u);
	if (!r)
		r = converge_accept_ra(u);
	for (i = 0; !r && i < u->pl->n_sysctls; i++)
		r = converge_sysctl(u, u->pl->sysctls[i]);
	if (!r)
		r = converge_dropped_sysctls(u);
	if (!r)
		r = converge_nft(u);
	r |= state_save(u);
	if (!r && !u->changes && u->o->report)
		fprintf(u->o->report, "%s: nothing to change\n",
			u->pl->self->name);
	return r;
}

/* ---- up ---- */

/* An interface of our name that up did not make: say whose it is. */
static int refuse_foreign(struct up_ctx *u, bool has_state)
{
	char owner[512];

	host_owner(u->o, u->pl->iface, owner, sizeof(owner));
	return apply_fail(u,
			  "interface %s exists and lanwire up did not create "
			  "it (%s %s); it is served by %s. Leaving it "
			  "untouched: take it down yourself, or give %s "
			  "another interface = in the description",
			  u->pl->iface, u->state_path,
			  has_state ? "records another interface of that name" :
				      "does not exist",
			  owner, u->pl->self->name);
}

/* A state whose interface is gone entirely: keep only the sysctls' old
 * values (still to be restored) and whether the nft table is ours. */
static void forget_interface(struct lw_up_state *st)
{
	st->ifindex = 0;
	st->n_pids = 0;
	st->addrs.n = 0;
	st->routes.n = 0;
}

int apply_up(const struct lw_node_plan *pl, const struct lw_apply *o)
{
	struct up_ctx u = { .pl = pl, .o = o };
	unsigned int idx, mtu;
	bool has_state;
	int r;

	if (pl->n_links)
		return apply_overlay_up(pl, o);
	snprintf(u.state_path, sizeof(u.state_path), "%s/%s.state",
		 o->run_dir, pl->iface);
	r = lw_mkdir_private(o->run_dir, &(bool){ false });
	if (r)
		return apply_fail(&u, "cannot make %s: %s", o->run_dir,
				  strerror(-r));
	r = state_load(&u);
	if (r && r != -ENOENT)
		return r == -EINVAL ? 1 : apply_fail(&u, "cannot read %s: %s",
						     u.state_path,
						     strerror(-r));
	has_state = !r;
	if (!host_link(o, pl->iface, &idx, &mtu)) {
		if (!has_state || u.st.ifindex != idx) {
			r = refuse_foreign(&u, has_state);
			goto out;
		}
		snprintf(u.cur, sizeof(u.cur), "%s", pl->iface);
		r = converge(&u, false);
		goto out;
	}
	if (has_state && u.st.ifindex &&
	    !host_link_name(o, u.st.ifindex, u.cur)) {
		r = apply_fail(&u, "the interface up made as %s is now named "
				   "%s; run lanwire down %s first",
			       u.st.iface, u.cur, pl->self->name);
		goto out;
	}
	if (!has_state)
		snprintf(u.st.node, sizeof(u.st.node), "%s", pl->self->name);
	forget_interface(&u.st);
	r = link_create(&u);
	if (!r)
		r = converge(&u, true);
	if (r && u.st.ifindex) {
		fprintf(stderr, "lanwire: %s: up failed; undoing it\n",
			pl->self->name);
		apply_undo(&u);
	}
out:
	up_state_free(&u.st);
	return r;
}
