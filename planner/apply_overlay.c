// SPDX-License-Identifier: MIT
/*
 * lanwire up / down of an overlay router (apply.h; docs/overlay.md): a
 * node whose plan has links. up, in this order:
 *   1. BIRD's rendered configuration checked (bird -p) before anything
 *      changes;
 *   2. the unreachable routes of overlay-routes.txt (every LAN and tunnel
 *      prefix of the network, metric 4000), each added only if missing:
 *      a router without a BIRD route for a prefix drops it instead of
 *      sending it out of its default route unencrypted;
 *   3. the router's nft policy (render_nft.c: stateful on a site
 *      gateway, stateless transit between links on a hub), loaded by
 *      apply_nft() as up loads any node's, before any link exists, so
 *      no link ever forwards without it; RUN/NODE.overlay.nft is the
 *      ruleset last loaded, and a changed one replaces the table in the
 *      same nft transaction;
 *   4. net.ipv4.ip_forward=1 (the old value kept for down);
 *   5. one lanwired per link, each brought up by apply_up() as an
 *      interface of its own (RUN/LINKIF.state): one peer, AllowedIPs
 *      0.0.0.0/0, ::/0, no routes (BIRD makes them), no nft table of
 *      its own; rp_filter=2 on the link ends the plan marks rp_loose
 *      (the sysctl of the link's plan: its old value is in the link's
 *      state, and goes with the interface);
 *      then, if LANWIRE_LINK_PROBE_MS is set, by UAPI set lanwired's
 *      probe on its peer; wireguard-go refuses the key and keeps its own
 *      timers (the rendered wg-quick files stay plain);
 *   6. BIRD with RUN/NODE.bird.conf, its own socket and pid file
 *      (apply_bird.c), reloaded when the configuration changed;
 *   7. a hub with clients: its client interface, with the clients only.
 * RUN/NODE.overlay records what was started; down stops exactly that
 * (BIRD by its recorded pid, each link by its state) in reverse and
 * removes the routes it added, the sysctl it set and, last, the nft
 * table. A failed first up is undone the same way.
 *
 * Ownership: struct ov_ctx lives on apply_overlay_up()/_down()'s stack.
 */
#include "apply_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "accept_ra.h"
#include "buf.h"
#include "key.h"
#include "render.h"
#include "status.h"
#include "txn.h"

#define OV_MAX_ROUTES 512
#define OV_MAX_LINKS 256
#define OV_FORWARD_KEY "net.ipv4.ip_forward"

/* What up started, as RUN/NODE.overlay records it. */
struct ov_state {
	struct lw_prefix routes[OV_MAX_ROUTES];
	size_t n_routes;
	char fwd_old[16]; /* "": forwarding left as it was */
	char links[OV_MAX_LINKS][LW_IFNAME_MAX + 1];
	size_t n_links;
	pid_t bird;
	bool clients; /* the hub's client interface (pl->iface) */
	bool nft;     /* the router's nft table */
};

struct ov_ctx {
	const struct lw_node_plan *pl;
	const struct lw_apply *o;
	char path[PATH_MAX];
	struct ov_state st;
	unsigned int changes;
	int probe_ms; /* LANWIRE_LINK_PROBE_MS; 0: not set */
	int carrier_ms; /* LANWIRE_LINK_CARRIER_MS (apply_linkdown.c) */
	struct up_ctx up; /* for apply_fail(): pl only */
};

static void ov_report(struct ov_ctx *c, const char *what, const char *arg)
{
	c->changes++;
	if (c->o->report)
		fprintf(c->o->report, "%s: %s %s\n", c->pl->self->name, what,
			arg);
}

/* ---- RUN/NODE.overlay ---- */

static int ov_save(struct ov_ctx *c)
{
	struct lw_buf b = { 0 };
	char t[LW_PREFIX_STRLEN];
	struct lw_txn x;
	size_t i;
	int r;

	buf_printf(&b, "# lanwire up: what it started for overlay router %s; "
		       "down stops exactly this.\n",
		   c->pl->self->name);
	for (i = 0; i < c->st.n_routes; i++) {
		prefix_format(t, sizeof(t), &c->st.routes[i]);
		buf_printf(&b, "route %s\n", t);
	}
	if (*c->st.fwd_old)
		buf_printf(&b, "sysctl %s %s\n", OV_FORWARD_KEY, c->st.fwd_old);
	for (i = 0; i < c->st.n_links; i++)
		buf_printf(&b, "link %s\n", c->st.links[i]);
	if (c->st.bird)
		buf_printf(&b, "bird %d\n", (int)c->st.bird);
	if (c->st.clients)
		buf_printf(&b, "clients %s\n", c->pl->iface);
	if (c->st.nft)
		buf_puts(&b, "nft inet " LW_NFT_TABLE "\n");
	if (!buf_str(&b))
		return apply_fail(&c->up, "out of memory");
	txn_init(&x);
	r = txn_add(&x, c->path, buf_str(&b), strlen(buf_str(&b)), 0600,
		    false);
	if (!r)
		r = txn_commit(&x);
	txn_free(&x);
	buf_free(&b);
	return r ? apply_fail(&c->up, "cannot write %s: %s", c->path, strerror(-r)) :
		   0;
}

static bool ov_line(struct ov_state *st, const char *key, const char *val,
		    const char *extra)
{
	if (!strcmp(key, "route") && st->n_routes < OV_MAX_ROUTES)
		return !prefix_parse(&st->routes[st->n_routes++], val, false);
	if (!strcmp(key, "sysctl") && !strcmp(val, OV_FORWARD_KEY) &&
	    *extra && strlen(extra) < sizeof(st->fwd_old)) {
		snprintf(st->fwd_old, sizeof(st->fwd_old), "%s", extra);
		return true;
	}
	if (!strcmp(key, "link") && st->n_links < OV_MAX_LINKS &&
	    strlen(val) <= LW_IFNAME_MAX) {
		memcpy(st->links[st->n_links++], val, strlen(val) + 1);
		return true;
	}
	if (!strcmp(key, "bird"))
		return (st->bird = (pid_t)atoi(val)) > 0;
	if (!strcmp(key, "clients"))
		return (st->clients = true);
	if (!strcmp(key, "nft") && !strcmp(val, "inet") &&
	    !strcmp(extra, LW_NFT_TABLE))
		return (st->nft = true);
	return false;
}

/* 0, -ENOENT, or 1 (reported: not ours to trust, or unreadable). */
static int ov_load(struct ov_ctx *c)
{
	char *text = NULL, *line, *save = NULL, key[16], val[64], extra[16];
	size_t len;
	int n = 0, r = lw_read_file(c->path, &text, &len, 1 << 20);

	if (r == -ENOENT)
		return r;
	if (r)
		return apply_fail(&c->up, "cannot read %s: %s", c->path, strerror(-r));
	for (line = strtok_r(text, "\n", &save); line && !r;
	     line = strtok_r(NULL, "\n", &save)) {
		n++;
		if (*line == '#')
			continue;
		*extra = '\0';
		if (sscanf(line, "%15s %63s %15s", key, val, extra) < 2 ||
		    !ov_line(&c->st, key, val, extra))
			r = apply_fail(&c->up, "%s line %d is not a lanwire overlay "
				       "state; not trusting it (remove it by "
				       "hand)",
				    c->path, n);
	}
	free(text);
	return r;
}

/* ---- unreachable routes ---- */

static const char *family_opt(const struct lw_prefix *p)
{
	return p->family == AF_INET6 ? "-6" : "-4";
}

/* Whether "metric M" with our metric is among the words of out. */
static bool has_our_metric(const char *out)
{
	char metric[32];
	const char *m;
	size_t n;

	n = (size_t)snprintf(metric, sizeof(metric), "metric %d",
			     LW_UNREACHABLE_METRIC);
	for (m = out; (m = strstr(m, metric)); m += n)
		if (m[n] == ' ' || m[n] == '\n' || !m[n])
			return true;
	return false;
}

static bool route_present(struct ov_ctx *c, const struct lw_prefix *p)
{
	char t[LW_PREFIX_STRLEN], *out;
	const char *argv[] = { "ip", family_opt(p), "-o", "route", "show",
			       "exact", t, "type", "unreachable", NULL };
	bool yes;

	prefix_format(t, sizeof(t), p);
	out = host_query(c->o, argv);
	yes = out && has_our_metric(out);
	free(out);
	return yes;
}

static int route_cmd(struct ov_ctx *c, const char *verb,
		     const struct lw_prefix *p)
{
	char t[LW_PREFIX_STRLEN], metric[16];
	const char *argv[] = { "ip", family_opt(p), "route", verb,
			       "unreachable", t, "metric", metric, NULL };

	prefix_format(t, sizeof(t), p);
	snprintf(metric, sizeof(metric), "%d", LW_UNREACHABLE_METRIC);
	return host_run(c->o, argv, NULL);
}

/* "ip route replace unreachable P metric M" lines of the rendered
 * overlay-routes.txt, added where missing. */
static int routes_up(struct ov_ctx *c, const char *text)
{
	static const char lead[] = "ip route replace unreachable ";
	char word[LW_PREFIX_STRLEN + 1], t[LW_PREFIX_STRLEN];
	struct lw_prefix p;
	const char *l;
	size_t i;
	bool mine;

	for (l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, lead, sizeof(lead) - 1))
			continue;
		if (sscanf(l + sizeof(lead) - 1, "%49s", word) != 1 ||
		    prefix_parse(&p, word, false))
			return apply_fail(&c->up, "an unreadable overlay route: %.60s",
				       l);
		for (i = 0, mine = false; i < c->st.n_routes; i++)
			mine |= prefix_equal(&c->st.routes[i], &p);
		if (route_present(c, &p))
			continue;
		prefix_format(t, sizeof(t), &p);
		if (route_cmd(c, "add", &p))
			return apply_fail(&c->up, "cannot add route unreachable %s", t);
		if (!mine && c->st.n_routes == OV_MAX_ROUTES)
			return apply_fail(&c->up, "more than %d overlay routes",
				       OV_MAX_ROUTES);
		if (!mine)
			c->st.routes[c->st.n_routes++] = p;
		ov_report(c, "route unreachable added:", t);
		if (ov_save(c))
			return 1;
	}
	return 0;
}

static int routes_down(struct ov_ctx *c)
{
	char t[LW_PREFIX_STRLEN];
	size_t i, kept = 0;

	for (i = 0; i < c->st.n_routes; i++) {
		const struct lw_prefix *p = &c->st.routes[i];

		prefix_format(t, sizeof(t), p);
		if (route_present(c, p) && route_cmd(c, "del", p)) {
			c->st.routes[kept++] = *p;
			apply_fail(&c->up, "cannot remove route unreachable %s", t);
		} else {
			ov_report(c, "route unreachable removed:", t);
		}
	}
	c->st.n_routes = kept;
	return kept != 0;
}

/* ---- forwarding ---- */

static int set_forward(struct ov_ctx *c, const char *value)
{
	char setting[64];
	const char *argv[] = { "sysctl", "-q", "-w", setting, NULL };

	snprintf(setting, sizeof(setting), "%s=%s", OV_FORWARD_KEY, value);
	if (host_run(c->o, argv, NULL))
		return apply_fail(&c->up, "sysctl -w %s failed", setting);
	ov_report(c, "sysctl", setting);
	return 0;
}

static int forward_up(struct ov_ctx *c)
{
	char *cur = host_sysctl(c->o, OV_FORWARD_KEY);
	int r = 0;

	if (!cur)
		return apply_fail(&c->up, "cannot read sysctl %s", OV_FORWARD_KEY);
	if (strcmp(cur, "1")) {
		if (!*c->st.fwd_old)
			snprintf(c->st.fwd_old, sizeof(c->st.fwd_old), "%s",
				 cur);
		r = ov_save(c) || set_forward(c, "1");
	}
	free(cur);
	return r;
}

static int forward_down(struct ov_ctx *c)
{
	char *cur = host_sysctl(c->o, OV_FORWARD_KEY);
	int r = 0;

	if (*c->st.fwd_old && cur && strcmp(cur, c->st.fwd_old))
		r = set_forward(c, c->st.fwd_old);
	free(cur);
	if (!r)
		*c->st.fwd_old = '\0';
	return r;
}

/* ---- the router's nft policy, through apply_nft() ---- */

/* RUN/NODE.overlay.nft: not RUN/IFACE.nft, which the hub's client
 * interface's own apply_up() (no table of its own) removes. */
static void policy_path(const struct ov_ctx *c, char path[static PATH_MAX])
{
	snprintf(path, PATH_MAX, "%s/%s.overlay.nft", c->o->run_dir,
		 c->pl->self->name);
}

/* up: the plan's ruleset (apply_plan_nft()); else the table up loaded
 * removed. */
static int policy_apply(struct ov_ctx *c, bool up)
{
	char path[PATH_MAX];
	unsigned int before = c->up.changes;
	int r;

	policy_path(c, path);
	c->up.st.nft = c->st.nft;
	r = up ? apply_plan_nft(&c->up, path) : apply_nft(&c->up, path, "");
	c->changes += c->up.changes - before;
	if (c->up.st.nft == c->st.nft)
		return r;
	c->st.nft = c->up.st.nft;
	return ov_save(c) || r;
}

/* ---- the link and client interfaces, through apply_up() ---- */

/* "net.ipv4.conf.LINK.rp_filter=2" in rp when the link end is marked
 * rp_loose (the paths through it may be asymmetric: strict reverse-path
 * filtering would drop them; the kernel takes the larger of all's and
 * the interface's value, so 2 is loose whatever all says), else "". */
static void link_rp_sysctl(const struct lw_link_plan *lp, char rp[128])
{
	char key[96];

	*rp = '\0';
	if (!lp->rp_loose)
		return;
	iface_sysctl_key(key, sizeof(key), "ipv4", lp->iface, "rp_filter");
	snprintf(rp, 128, "%s=2", key);
}

/* A plan of its own for one link: the link's /31, its port, its one peer
 * taking everything (BIRD picks the routes), no routes, no nft; its only
 * sysctl is rp_filter (rp, link_rp_sysctl()). Points into pl, *peer and
 * rp. */
static void link_plan(const struct lw_node_plan *pl,
		      const struct lw_link_plan *lp, struct lw_node_plan *out,
		      struct lw_peer_plan *peer, struct lw_prefix all[2],
		      char rp[128])
{
	memset(out, 0, sizeof(*out));
	memset(peer, 0, sizeof(*peer));
	out->desc = pl->desc;
	out->node = pl->node;
	out->self = pl->self;
	out->site = pl->site;
	snprintf(out->iface, sizeof(out->iface), "%s", lp->iface);
	out->addrs[0] = lp->addr;
	out->addrs[0].len = 31;
	out->n_addrs = 1;
	out->listen_port = lp->port;
	out->mtu = pl->mtu;
	out->has_private_key = pl->has_private_key;
	memcpy(out->private_key, pl->private_key, LW_KEY_LEN);
	out->private_key_path = pl->private_key_path;
	prefix_parse(&all[0], "0.0.0.0/0", false);
	prefix_parse(&all[1], "::/0", false);
	peer->node = lp->peer;
	memcpy(peer->public_key, lp->public_key, LW_KEY_LEN);
	peer->has_psk = lp->has_psk;
	memcpy(peer->psk, lp->psk, LW_KEY_LEN);
	peer->has_endpoint = lp->has_endpoint;
	peer->endpoint = lp->endpoint;
	peer->allowed_ips = all;
	peer->n_allowed_ips = 2;
	peer->keepalive = LW_LINK_KEEPALIVE;
	out->peers = peer;
	out->n_peers = 1;
	out->nft_ruleset = "";
	link_rp_sysctl(lp, rp);
	if (*rp)
		out->sysctls[out->n_sysctls++] = rp;
}

static void link_plan_wipe(struct lw_node_plan *lpl, struct lw_peer_plan *pp)
{
	crypto_wipe(lpl->private_key, LW_KEY_LEN);
	crypto_wipe(pp->psk, LW_KEY_LEN);
}

/* apply_up()/apply_down() of sub-plan sp, its "nothing to change" lines
 * dropped and the others counted as changes. */
static int sub_apply(struct ov_ctx *c, const struct lw_node_plan *sp,
		     bool up)
{
	struct lw_apply o = *c->o;
	char *text = NULL, *l, *save = NULL;
	size_t len = 0;
	int r;

	o.report = open_memstream(&text, &len);
	if (!o.report)
		return apply_fail(&c->up, "out of memory");
	r = up ? apply_up(sp, &o) : apply_down(sp, &o);
	fclose(o.report);
	for (l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strstr(l, ": nothing to change"))
			continue;
		c->changes++;
		if (c->o->report)
			fprintf(c->o->report, "%s\n", l);
	}
	free(text);
	return r;
}

/* LANWIRE_LINK_PROBE_MS: unset or empty is 0, the probe off. It is
 * opt-in: BFD and OSPF hellos cross a link both ways many times a
 * second, so with it a silent link re-handshakes at once (a restarted hub
 * that cannot reach a site behind NAT), but in 2 of 7 ha runs that
 * brought the hub's links back before OSPF had settled and LAN traffic
 * was dropped for 5 s, where the whitepaper's timers return slowly but
 * cleanly (docs/overlay.md, "Restarted hub"). Otherwise a whole number of
 * ms in lanwired's range (uapi_names.h), or the up is refused before
 * anything changes. */
static int probe_from_env(struct ov_ctx *c)
{
	return env_ms(&c->up, "LANWIRE_LINK_PROBE_MS", UAPI_PROBE_MIN_MS,
		      UAPI_PROBE_MAX_MS, &c->probe_ms);
}

/* lanwired's probe on the link's peer (probe_from_env()). Not a
 * failure when refused: -EINVAL is another daemon (wireguard-go), which
 * heals on the whitepaper's timers; anything else is said. update_only:
 * never creates a peer. Not counted as a change: it is set every up. */
static void link_probe(struct ov_ctx *c, const struct lw_link_plan *lp)
{
	char text[2 * LW_KEY_LEN + 128], hex[2 * LW_KEY_LEN + 1];
	int r;

	key_to_hex(hex, lp->public_key);
	snprintf(text, sizeof(text),
		 UAPI_PUBLIC_KEY "=%s\n" UAPI_UPDATE_ONLY "=true\n"
		 UAPI_PROBE_MS "=%d\n", hex, c->probe_ms);
	r = status_set(lp->iface, text);
	if (r && r != -EINVAL && c->o->report)
		fprintf(c->o->report, "%s: %s not set (%s)\n", lp->iface,
			UAPI_PROBE_MS, strerror(-r));
}

static int link_up(struct ov_ctx *c, const struct lw_link_plan *lp)
{
	struct lw_node_plan lpl;
	struct lw_peer_plan peer;
	struct lw_prefix all[2];
	char rp[128];
	size_t i;
	int r;

	link_plan(c->pl, lp, &lpl, &peer, all, rp);
	r = sub_apply(c, &lpl, true);
	link_plan_wipe(&lpl, &peer);
	if (r)
		return r;
	if (c->probe_ms)
		link_probe(c, lp);
	if (c->carrier_ms)
		carrier_link(c->o, lp, c->carrier_ms);
	for (i = 0; i < c->st.n_links; i++)
		if (!strcmp(c->st.links[i], lp->iface))
			return 0;
	if (c->st.n_links == OV_MAX_LINKS)
		return apply_fail(&c->up, "more than %d links", OV_MAX_LINKS);
	snprintf(c->st.links[c->st.n_links++], LW_IFNAME_MAX + 1, "%s",
		 lp->iface);
	return ov_save(c);
}

/* down needs only the name: the link's own state says the rest. */
static int iface_down(struct ov_ctx *c, const char *iface)
{
	struct lw_node_plan sp;

	memset(&sp, 0, sizeof(sp));
	sp.desc = c->pl->desc;
	sp.node = c->pl->node;
	sp.self = c->pl->self;
	snprintf(sp.iface, sizeof(sp.iface), "%s", iface);
	return sub_apply(c, &sp, false);
}

static bool plan_has_link(const struct lw_node_plan *pl, const char *iface)
{
	size_t i;

	for (i = 0; i < pl->n_links; i++)
		if (!strcmp(pl->links[i].iface, iface))
			return true;
	return false;
}

/* Links up started before and the description no longer has. */
static int stale_links_down(struct ov_ctx *c)
{
	size_t i, kept = 0;
	int r = 0;

	for (i = 0; i < c->st.n_links; i++) {
		if (plan_has_link(c->pl, c->st.links[i]) ||
		    iface_down(c, c->st.links[i])) {
			memmove(c->st.links[kept++], c->st.links[i],
				LW_IFNAME_MAX + 1);
			r |= !plan_has_link(c->pl, c->st.links[i]);
		}
	}
	c->st.n_links = kept;
	return r | ov_save(c);
}

static bool is_client(const struct lw_node_plan *pl,
		      const struct lw_peer_plan *pp)
{
	return pl->desc->nodes[pp->node].role == LW_ROLE_CLIENT;
}

/* A hub's client interface: its plan with the clients only (sites and
 * hubs are reached over the links), no routes (the clients' addresses
 * are in the interface's prefix), no sysctls (forward_up()), no nft. */
static int clients_up(struct ov_ctx *c)
{
	struct lw_node_plan cp = *c->pl;
	size_t i;
	int r;

	cp.peers = calloc(c->pl->n_peers ? c->pl->n_peers : 1,
			  sizeof(*cp.peers));
	if (!cp.peers)
		return apply_fail(&c->up, "out of memory");
	cp.n_peers = 0;
	for (i = 0; i < c->pl->n_peers; i++)
		if (is_client(c->pl, &c->pl->peers[i]))
			cp.peers[cp.n_peers++] = c->pl->peers[i];
	cp.n_routes = 0;
	cp.n_sysctls = 0;
	cp.nft_ruleset = "";
	cp.links = NULL;
	cp.n_links = 0;
	/* Recorded once up: a failed apply_up() undoes itself. The last
	 * client gone from the description: the interface goes. */
	if (!cp.n_peers && c->st.clients && !iface_down(c, c->pl->iface)) {
		c->st.clients = false;
		r = ov_save(c);
		free(cp.peers);
		return r;
	}
	r = cp.n_peers ? sub_apply(c, &cp, true) : 0;
	if (cp.n_peers && !r && !c->st.clients) {
		c->st.clients = true;
		r = ov_save(c);
	}
	free(cp.peers);
	return r;
}

/* ---- down, and the undoing of a failed up ---- */

static int ov_remove_all(struct ov_ctx *c)
{
	size_t i, kept = 0;
	int r = 0;

	/* Also without a pid: a configuration written before BIRD failed
	 * to start. */
	if (bird_down(c->pl, c->o, c->st.bird))
		r = 1;
	else
		c->st.bird = 0;
	if (c->st.clients && !iface_down(c, c->pl->iface))
		c->st.clients = false;
	r |= c->st.clients;
	for (i = c->st.n_links; i-- > 0;)
		if (iface_down(c, c->st.links[i]))
			memmove(c->st.links[kept++], c->st.links[i],
				LW_IFNAME_MAX + 1);
	r |= kept != 0;
	c->st.n_links = kept;
	r |= carrier_down(&c->up);
	r |= forward_down(c);
	r |= routes_down(c);
	/* Last: while anything of the router forwards, the policy holds. */
	r |= policy_apply(c, false);
	if (r) {
		ov_save(c);
		return apply_fail(&c->up, "down left something behind (above); %s "
				  "keeps it, run lanwire down again",
			       c->path);
	}
	unlink(c->path);
	rmdir(c->o->run_dir);
	return 0;
}

/* ---- up ---- */

static const char *file_text(const struct lw_files *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].name, name))
			return f->v[i].text;
	return NULL;
}

static int ov_converge(struct ov_ctx *c, const struct lw_files *f)
{
	size_t i;
	int r = stale_links_down(c);

	if (!r)
		r = routes_up(c, file_text(f, "overlay-routes.txt"));
	if (!r)
		r = policy_apply(c, true);
	if (!r)
		r = forward_up(c);
	for (i = 0; !r && i < c->pl->n_links; i++)
		r = link_up(c, &c->pl->links[i]);
	if (!r && c->carrier_ms)
		r = carrier_up(&c->up);
	if (!r) {
		pid_t was = c->st.bird;
		bool changed = false;

		r = bird_up(c->pl, c->o, file_text(f, "bird.conf"),
			    &c->st.bird, &changed);
		c->changes += changed;
		if (c->st.bird != was)
			r |= ov_save(c);
	}
	if (!r)
		r = clients_up(c);
	return r;
}

static void ov_init(struct ov_ctx *c, const struct lw_node_plan *pl,
		    const struct lw_apply *o)
{
	memset(c, 0, sizeof(*c));
	c->pl = pl;
	c->o = o;
	c->up.pl = pl;
	c->up.o = o;
	snprintf(c->path, sizeof(c->path), "%s/%s.overlay", o->run_dir,
		 pl->self->name);
}

int apply_overlay_up(const struct lw_node_plan *pl, const struct lw_apply *o)
{
	struct lw_render_opts ro = { o->source, o->run_dir };
	struct lw_files f = { 0 };
	struct ov_ctx *c = malloc(sizeof(*c));
	bool fresh;
	int r;

	if (!c)
		return 1;
	ov_init(c, pl, o);
	if (probe_from_env(c) || carrier_from_env(&c->up, &c->carrier_ms)) {
		free(c);
		return 1;
	}
	r = lw_mkdir_private(o->run_dir, &(bool){ false });
	if (r)
		r = apply_fail(&c->up, "cannot make %s: %s", o->run_dir, strerror(-r));
	else if (render_overlay(pl, &ro, &f) || !file_text(&f, "bird.conf") ||
		 !file_text(&f, "overlay-routes.txt"))
		r = apply_fail(&c->up, "out of memory");
	else
		r = ov_load(c);
	fresh = r == -ENOENT;
	if (fresh)
		r = bird_check_conf(pl, o, file_text(&f, "bird.conf"));
	if (!r)
		r = ov_converge(c, &f);
	if (r && fresh) {
		fprintf(stderr, "lanwire: %s: up failed; undoing it\n",
			pl->self->name);
		ov_remove_all(c);
	} else if (!r && !c->changes && o->report) {
		fprintf(o->report, "%s: nothing to change\n", pl->self->name);
	}
	files_free(&f);
	free(c);
	return r;
}

int apply_overlay_down(const struct lw_node_plan *pl,
		       const struct lw_apply *o)
{
	struct ov_ctx *c = malloc(sizeof(*c));
	int r;

	if (!c)
		return 1;
	ov_init(c, pl, o);
	r = ov_load(c);
	if (r == -ENOENT) {
		fprintf(stderr, "lanwire: %s: nothing is up (no %s); nothing "
				"to do\n",
			pl->self->name, c->path);
		r = 0;
	} else if (!r) {
		r = ov_remove_all(c);
	}
	free(c);
	return r;
}
