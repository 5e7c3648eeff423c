// SPDX-License-Identifier: MIT
/*
 * Fast failover of an overlay router without waiting for BIRD's tick
 * (docs/overlay.md, "Carrier"): opt-in by LANWIRE_LINK_CARRIER_MS=N.
 *   - lanwired's carrier on each link's peer (UAPI lanwire_carrier_ms):
 *     the link's TUN carrier goes off after N ms of silence;
 *   - net.ipv4.conf.all.ignore_routes_with_linkdown=1 (the old value in
 *     RUN/NODE.linkdown, put back by down), so the kernel skips BIRD's
 *     route through a link whose carrier is off at once;
 *   - backup routes for the other sites' IPv4 LANs through the links,
 *     metric LW_BACKUP_METRIC + the path's cost, between BIRD's (32) and
 *     the unreachable routes (4000): only through a neighbour whose own
 *     shortest path to that site does not come back through this router
 *     (with every link up), so a backup never loops back to us. They go
 *     with their link (down deletes the interface).
 * BIRD still decides: while it has a route through a live link, its
 * metric wins; the backups only carry traffic while BIRD's route points
 * into a link whose carrier is off (until BIRD's next tick moves it), or
 * while BIRD has no route yet (a restarting router).
 *
 * Ownership: everything on the callers' stacks; nothing kept.
 */
#include "apply_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "key.h"
#include "overlay.h"
#include "status.h"
#include "txn.h"

#define LD_KEY "net.ipv4.conf.all.ignore_routes_with_linkdown"
/* Backup routes: LW_BACKUP_METRIC + the path's cost, under 4000. */
#define LW_BACKUP_METRIC 64

int env_ms(const struct up_ctx *u, const char *name, int min, int max,
	   int *ms)
{
	const char *v = getenv(name);
	char *end;
	long n;

	*ms = 0;
	if (!v || !*v)
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || end == v || (n != 0 && (n < min || n > max)))
		return apply_fail(u, "%s=%s: not 0 or a number of ms from %d "
				  "to %d", name, v, min, max);
	*ms = (int)n;
	return 0;
}

int carrier_from_env(const struct up_ctx *u, int *ms)
{
	return env_ms(u, "LANWIRE_LINK_CARRIER_MS", UAPI_CARRIER_MIN_MS,
		      UAPI_CARRIER_MAX_MS, ms);
}

/* lanwired's carrier on the link's peer. -EINVAL is another daemon
 * (wireguard-go refuses the key): its carrier stays on, BIRD's BFD still
 * decides. */
void carrier_link(const struct lw_apply *o, const struct lw_link_plan *lp,
		  int ms)
{
	char text[2 * LW_KEY_LEN + 128], hex[2 * LW_KEY_LEN + 1];
	int r;

	key_to_hex(hex, lp->public_key);
	snprintf(text, sizeof(text),
		 UAPI_PUBLIC_KEY "=%s\n" UAPI_UPDATE_ONLY "=true\n"
		 UAPI_CARRIER_MS "=%d\n", hex, ms);
	r = status_set(lp->iface, text);
	if (r && r != -EINVAL && o->report)
		fprintf(o->report, "%s: %s not set (%s)\n", lp->iface,
			UAPI_CARRIER_MS, strerror(-r));
}

static void saved_path(const struct lw_node_plan *pl, const struct lw_apply *o,
		       char *path, size_t size)
{
	snprintf(path, size, "%s/%s.linkdown", o->run_dir, pl->self->name);
}

static int sysctl_set(const struct up_ctx *u, const char *value)
{
	char setting[96];
	const char *argv[] = { "sysctl", "-q", "-w", setting, NULL };

	snprintf(setting, sizeof(setting), "%s=%s", LD_KEY, value);
	return host_run(u->o, argv, NULL) ?
		       apply_fail(u, "sysctl -w %s failed", setting) : 0;
}

/* ignore_routes_with_linkdown=1, the value before kept once. */
static int linkdown_sysctl_up(const struct up_ctx *u)
{
	char path[PATH_MAX], *cur = host_sysctl(u->o, LD_KEY);
	struct lw_txn x;
	int r = 0;

	if (!cur)
		return apply_fail(u, "cannot read sysctl %s", LD_KEY);
	saved_path(u->pl, u->o, path, sizeof(path));
	if (strcmp(cur, "1") && access(path, F_OK)) {
		txn_init(&x);
		r = txn_add(&x, path, cur, strlen(cur), 0600, false);
		if (!r)
			r = txn_commit(&x);
		txn_free(&x);
		r = r ? apply_fail(u, "cannot write %s", path) :
			sysctl_set(u, "1");
		if (!r && u->o->report)
			fprintf(u->o->report, "%s: sysctl %s=1\n",
				u->pl->self->name, LD_KEY);
	}
	free(cur);
	return r;
}

static int backup_route(const struct up_ctx *u, const struct lw_prefix *p,
			const char *iface, unsigned long metric)
{
	char t[LW_PREFIX_STRLEN], m[24];
	const char *argv[] = { "ip", "-4", "route", "replace", t, "dev",
			       iface, "metric", m, NULL };

	prefix_format(t, sizeof(t), p);
	snprintf(m, sizeof(m), "%lu", metric);
	return host_run(u->o, argv, NULL) ?
		       apply_fail(u, "cannot add backup route %s dev %s", t,
				  iface) : 0;
}

/* Whether the link to peer may carry a backup to site gateway s: the
 * peer's shortest path to s never comes back through us. */
static bool backup_safe(const unsigned long *dist, size_t n, size_t self,
			size_t peer, size_t s)
{
	unsigned long ps = dist[peer * n + s], pm = dist[peer * n + self],
		      ms = dist[self * n + s];

	return ps != LW_DIST_INF && pm != LW_DIST_INF && ms != LW_DIST_INF &&
	       ps < pm + ms;
}

static int site_backups(const struct up_ctx *u, const unsigned long *dist,
			size_t n, const struct lw_site *s)
{
	const struct lw_node_plan *pl = u->pl;
	unsigned long metric;
	size_t i, k;
	int r = 0;

	for (k = 0; !r && k < pl->n_links; k++) {
		const struct lw_link_plan *lp = &pl->links[k];

		if (!backup_safe(dist, n, pl->node, lp->peer, s->gateway))
			continue;
		metric = LW_BACKUP_METRIC + lp->cost +
			 dist[lp->peer * n + s->gateway];
		if (metric >= LW_UNREACHABLE_METRIC)
			metric = LW_UNREACHABLE_METRIC - 1;
		for (i = 0; !r && i < s->n_lans; i++)
			if (s->lans[i].p.family == AF_INET)
				r = backup_route(u, &s->lans[i].p, lp->iface,
						 metric);
	}
	return r;
}

static int backups_up(const struct up_ctx *u)
{
	const struct lw_desc *d = u->pl->desc;
	struct lw_overlay ov;
	unsigned long *dist;
	size_t i;
	int r = 0;

	if (overlay_build(d, &ov))
		return apply_fail(u, "out of memory");
	dist = overlay_all_dist(&ov);
	if (!dist)
		r = apply_fail(u, "out of memory");
	for (i = 0; !r && i < d->n_sites; i++)
		if (d->sites[i].gateway != u->pl->node)
			r = site_backups(u, dist, ov.n_nodes, &d->sites[i]);
	free(dist);
	overlay_free(&ov);
	return r;
}

/* After the links are up: the sysctl and the backup routes. */
int carrier_up(const struct up_ctx *u)
{
	return linkdown_sysctl_up(u) || backups_up(u);
}

/* down: the sysctl back to what it was before the first up. */
int carrier_down(const struct up_ctx *u)
{
	char path[PATH_MAX], *old = NULL;
	size_t len = 0;
	FILE *f;
	int r = 0;

	saved_path(u->pl, u->o, path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (getline(&old, &len, f) > 0) {
		old[strcspn(old, "\n")] = '\0';
		r = strcmp(old, "0") && strcmp(old, "1") ?
			    apply_fail(u, "%s: not 0 or 1; not trusting it",
				       path) :
			    sysctl_set(u, old);
	}
	fclose(f);
	free(old);
	if (!r)
		unlink(path);
	return r;
}
