// SPDX-License-Identifier: MIT
/*
 * The WireGuard side of lanwire up (apply_int.h): `wg show IFACE dump`
 * compared with the plan, and only the differences applied with `wg set`,
 * so sessions with unchanged peers are kept: the private key only when it
 * differs (compared in constant time), the listen port only when the plan
 * names one that differs (a port the daemon chose is kept: changing it
 * would cut every NATed peer off until its next keepalive), each peer
 * added, removed or changed in just the fields that differ. Keys reach wg
 * on its stdin, never through a file; every copy is wiped.
 */
#include "apply_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "key.h"
#include "keys.h"
#include "wgdiff.h"

static int read_dump(struct up_ctx *u, struct lw_wg_dump *dump)
{
	const char *argv[] = { "wg", "show", u->cur, "dump", NULL };
	char *out = host_query(u->o, argv);
	int r;

	if (!out) {
		memset(dump, 0, sizeof(*dump));
		return apply_fail(u, "wg show %s dump failed", u->cur);
	}
	r = wg_dump_parse(dump, out);
	crypto_wipe(out, strlen(out));
	free(out);
	return r ? apply_fail(u, "cannot read wg show %s dump", u->cur) : 0;
}

/* The key as "KEY\n" on wg's stdin for `wg set ... private-key|
 * preshared-key /dev/stdin`. */
static int set_with_key(struct up_ctx *u, const char *const argv[],
			const uint8_t key[static LW_KEY_LEN])
{
	char text[LW_KEY_B64_LEN + 2];
	int r;

	key_to_base64(text, key);
	strcat(text, "\n");
	r = host_run(u->o, argv, text);
	crypto_wipe(text, sizeof(text));
	return r;
}

static int converge_private_key(struct up_ctx *u, const struct lw_wg_dump *d)
{
	const struct lw_node_plan *pl = u->pl;
	const char *argv[] = { "wg", "set", u->cur, "private-key", "/dev/stdin",
			       NULL };
	bool same;
	int r;

	if (pl->has_private_key) {
		same = d->has_private_key &&
		       crypto_equal(d->private_key, pl->private_key,
				    LW_KEY_LEN);
		if (same)
			return 0;
		r = set_with_key(u, argv, pl->private_key);
	} else {
		same = d->has_public_key && pl->self->has_public_key &&
		       !memcmp(d->public_key, pl->self->public_key, LW_KEY_LEN);
		if (same)
			return 0;
		argv[4] = pl->private_key_path;
		r = host_run(u->o, argv, NULL);
	}
	if (r)
		return apply_fail(u, "cannot set the private key of %s%s%s",
				  u->cur, pl->has_private_key ? "" : " from ",
				  pl->has_private_key ? "" :
							pl->private_key_path);
	apply_report(u, "private key %s", d->has_private_key ? "changed" : "set");
	return 0;
}

static int converge_port(struct up_ctx *u, const struct lw_wg_dump *d,
			 bool fresh)
{
	char port[8];
	const char *argv[] = { "wg", "set", u->cur, "listen-port", port, NULL };

	if (!u->pl->listen_port || d->listen_port == u->pl->listen_port) {
		if (fresh)
			apply_report(u, "listen port %u (%s)", d->listen_port,
				     u->pl->listen_port ? "as planned" :
							  "the daemon's choice, "
							  "kept from now on");
		return 0;
	}
	snprintf(port, sizeof(port), "%u", u->pl->listen_port);
	if (host_run(u->o, argv, NULL))
		return apply_fail(u, "cannot set listen port %s on %s", port,
				  u->cur);
	apply_report(u, "listen port %u -> %u", d->listen_port,
		     u->pl->listen_port);
	return 0;
}

/* ---- peers (what differs: wgdiff.c) ---- */

/* `wg set IFACE peer KEY [preshared-key /dev/stdin] [endpoint E]
 * [persistent-keepalive N] [allowed-ips LIST]` with just the fields in f. */
static int set_peer(struct up_ctx *u, const struct lw_peer_plan *pp,
		    const struct wg_peer_diff *f)
{
	char key[LW_KEY_B64_LEN + 1], ep[LW_HOST_MAX + 16], ka[16];
	char text[LW_PREFIX_STRLEN];
	const char *argv[16] = { "wg", "set", u->cur, "peer", key };
	struct lw_buf ips = { 0 };
	size_t n = 5, i;
	int r;

	key_to_base64(key, pp->public_key);
	if (f->psk) {
		argv[n++] = "preshared-key";
		argv[n++] = "/dev/stdin";
	}
	if (f->endpoint) {
		lw_endpoint_format(ep, sizeof(ep), &pp->endpoint);
		argv[n++] = "endpoint";
		argv[n++] = ep;
	}
	if (f->keepalive) {
		snprintf(ka, sizeof(ka), "%u", pp->keepalive);
		argv[n++] = "persistent-keepalive";
		argv[n++] = ka;
	}
	if (f->allowed) {
		for (i = 0; i < pp->n_allowed_ips; i++) {
			prefix_format(text, sizeof(text), &pp->allowed_ips[i]);
			buf_printf(&ips, "%s%s", i ? "," : "", text);
		}
		argv[n++] = "allowed-ips";
		argv[n++] = buf_str(&ips);
		if (!argv[n - 1]) {
			buf_free(&ips);
			return -ENOMEM;
		}
	}
	r = f->psk ? set_with_key(u, argv, pp->psk) : host_run(u->o, argv, NULL);
	buf_free(&ips);
	return r;
}

static int remove_peer(struct up_ctx *u, const struct lw_dump_peer *dp)
{
	char key[LW_KEY_B64_LEN + 1];
	const char *argv[] = { "wg", "set", u->cur, "peer", key, "remove",
			       NULL };

	key_to_base64(key, dp->public_key);
	if (host_run(u->o, argv, NULL))
		return apply_fail(u, "cannot remove peer %s", key);
	apply_report(u, "peer %s removed (no longer in the description)", key);
	return 0;
}

static int record_endpoint(struct up_ctx *u, const struct lw_peer_plan *pp)
{
	char ep[LW_HOST_MAX + 16];

	if (!pp->has_endpoint)
		return 0;
	lw_endpoint_format(ep, sizeof(ep), &pp->endpoint);
	if (up_state_set_endpoint(&u->st, pp->public_key, ep))
		return apply_fail(u, "out of memory");
	return 0;
}

static int converge_peers(struct up_ctx *u, const struct lw_wg_dump *d)
{
	const struct lw_node_plan *pl = u->pl;
	struct wg_peer_change *v;
	size_t i, n;
	int r = wg_diff_peers(pl, d, &u->st, &v, &n);

	if (r)
		return apply_fail(u, "out of memory");
	for (i = 0; i < n && !r; i++) {
		const struct lw_peer_plan *pp = &pl->peers[v[i].index];

		if (v[i].op == WG_PEER_REMOVE) {
			r = remove_peer(u, &d->peers[v[i].index]);
			continue;
		}
		if (set_peer(u, pp, &v[i].f)) {
			r = apply_fail(u, "cannot set peer %s",
				       pl->desc->nodes[pp->node].name);
			break;
		}
		apply_report(u, "peer %s %s:%s", pl->desc->nodes[pp->node].name,
			     v[i].added ? "added" : "changed", v[i].f.what);
	}
	free(v);
	/* What up set (or found as planned) is what a later roam is told
	 * apart from. */
	for (i = 0; i < pl->n_peers && !r; i++)
		r = record_endpoint(u, &pl->peers[i]);
	return r;
}

int apply_wg(struct up_ctx *u, bool fresh)
{
	struct lw_wg_dump d;
	int r = read_dump(u, &d);

	if (!r)
		r = converge_private_key(u, &d);
	if (!r)
		r = converge_port(u, &d, fresh);
	if (!r)
		r = converge_peers(u, &d);
	wg_dump_free(&d);
	return r;
}
