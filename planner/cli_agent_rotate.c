// SPDX-License-Identifier: MIT
/*
 * lanwire agent (cli_agent.h): a key rotation's steps (ctl_switch.h).
 * The rotating node applies the state with the key it has until
 * switch_at, then with KEY.next, which becomes its key; its peers add
 * the new key beside the old one and tell lanwired which key it
 * replaces (lanwire_replaces), or, when their daemon refuses that, move
 * the AllowedIPs themselves at switch_at.
 */
#include "cli_agent.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "ctl_rotate.h"
#include "key.h"
#include "keys.h"
#include "status.h"
#include "uapi_names.h"

/* A state this node's key does not open may name the next key
 * (`lanwire rotate`, ctl_rotate.h): read with KEY.next then. 0 when it
 * does (*rotating set, next holds the key). */
int agent_plan_with_next(struct agent *a, const struct ctl_envelope *e,
			 struct ctl_plan *cp, uint8_t next[LW_KEY_LEN],
			 char *path, size_t size, bool *rotating)
{
	char err[512];

	if (ctl_next_key_load(a->key_path, next) ||
	    ctl_next_path(path, size, a->key_path))
		return 1;
	if (ctl_state_plan(cp, e->state, a->network, a->node, next, path, err,
			   sizeof(err))) {
		crypto_wipe(next, LW_KEY_LEN);
		return 1;
	}
	*rotating = true;
	return 0;
}

/* The rotation done: KEY.next is the key now. */
void agent_promote_next(struct agent *a, uint8_t next[LW_KEY_LEN])
{
	int r = ctl_next_key_promote(a->key_path);

	if (r)
		agent_say(a, "rotated, but cannot move the new key over %s: %s",
		    a->key_path, strerror(-r));
	else
		agent_say(a, "rotated: the new key pair is in %s", a->key_path);
	memcpy(a->priv, next, LW_KEY_LEN);
	crypto_wipe(next, LW_KEY_LEN);
}

/* The rotating node before its switch time: the state applied with the
 * key it has; the agent comes back at switch_at for the new one. */
int agent_keep_key_until_switch(struct agent *a, struct ctl_plan *cp)
{
	char *path = strdup(a->key_path);

	if (!path)
		return -ENOMEM;
	free(cp->pl.private_key_path);
	cp->pl.private_key_path = path;
	x25519_public_from_private(cp->desc.nodes[0].public_key, a->priv);
	agent_say(a, "rotation: switching to the new key at %llu (in %llu ms)",
	    (unsigned long long)cp->switch_at,
	    (unsigned long long)(cp->switch_at - agent_now_ms()));
	return 0;
}

/* lanwired moves the old key's AllowedIPs to the new key on its first
 * packet (lanwire_replaces, README); other daemons refuse the key and
 * switch at T (ctl_switch.h), said once. */
static void tell_replaces(struct agent *a, const struct ctl_plan *cp,
			  const struct ctl_switch *sw)
{
	char text[4 * LW_KEY_LEN + 64], new_hex[2 * LW_KEY_LEN + 1];
	char old_hex[2 * LW_KEY_LEN + 1];
	int r;

	key_to_hex(new_hex, cp->pl.peers[sw->peer].public_key);
	key_to_hex(old_hex, sw->replaces);
	snprintf(text, sizeof(text), "public_key=%s\n" UAPI_REPLACES "=%s\n",
		 new_hex, old_hex);
	r = status_set(cp->pl.iface, text);
	a->replaces_ok = !r;
	if (r && !a->said_no_replaces)
		agent_say(a, "rotation: %s's daemon refused %s (%s): peer %s switches "
		       "at %llu, not on its first packet (said once)",
		    cp->pl.iface, UAPI_REPLACES, strerror(-r), sw->name,
		    (unsigned long long)sw->at_ms);
	a->said_no_replaces |= r != 0;
}

/* Where the AllowedIPs of each rotating peer are, when the daemon moves
 * them itself (ctl_switch.h): on the new key once it holds any. */
static void find_holders(struct agent *a, struct ctl_plan *cp)
{
	struct lw_wg_status st;
	size_t i, j;

	if (!cp->n_switches || !a->replaces_ok ||
	    status_get(&st, cp->pl.iface)) {
		for (i = 0; i < cp->n_switches; i++)
			cp->switches[i].daemon_moves = false;
		return;
	}
	for (i = 0; i < cp->n_switches; i++) {
		struct ctl_switch *sw = &cp->switches[i];

		sw->daemon_moves = true;
		sw->new_holds = false;
		for (j = 0; j < st.n_peers; j++)
			if (!memcmp(st.peers[j].public_key,
				    cp->pl.peers[sw->peer].public_key,
				    LW_KEY_LEN))
				sw->new_holds = st.peers[j].allowed_ips[0];
	}
	status_free(&st);
}

/* apply_up() with the peers the rotation schedule (ctl_switch.h) has at
 * this moment; a->step_at set to its next step (or step, if sooner). */
int agent_apply_phase(struct agent *a, struct ctl_plan *cp,
		      const struct lw_apply *o, uint64_t step)
{
	struct lw_peer_plan *all = cp->pl.peers, *v;
	size_t n_all = cp->pl.n_peers, n, i;
	uint64_t now = agent_now_ms(), next;
	int r;

	find_holders(a, cp);
	r = ctl_switch_peers(&cp->pl, cp->switches, cp->n_switches, now, &v,
			     &n, &next);
	if (r) {
		agent_say(a, "out of memory");
		return 1;
	}
	cp->pl.peers = v;
	cp->pl.n_peers = n;
	r = apply_up(&cp->pl, o);
	cp->pl.peers = all;
	cp->pl.n_peers = n_all;
	ctl_switch_peers_free(v, n);
	for (i = 0; !r && i < cp->n_switches; i++)
		if (ctl_switch_before(&cp->switches[i], now))
			tell_replaces(a, cp, &cp->switches[i]);
	/* lanwired just took them: no step at T, it moves them itself (a
	 * step there would race the node's first packet) */
	for (i = 0; !r && a->replaces_ok && i < cp->n_switches; i++)
		cp->switches[i].daemon_moves = true;
	if (!r && a->replaces_ok)
		next = ctl_switch_next(cp->switches, cp->n_switches, now);
	if (step && (!next || step < next))
		next = step;
	a->step_at = r ? 0 : next;
	return r;
}
