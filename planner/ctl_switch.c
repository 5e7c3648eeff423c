// SPDX-License-Identifier: MIT
/*
 * The make-before-break schedule of a key rotation (ctl_switch.h): which
 * peers a node applies at a given time, and the publish side that puts
 * the schedule into the signed states.
 */
#include "ctl_switch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "keys.h"

enum phase { BEFORE, MOVED, DONE };

static enum phase phase_at(const struct ctl_switch *sw, uint64_t now_ms)
{
	if (now_ms >= sw->at_ms + CTL_SWITCH_KEEP_MS)
		return DONE;
	if (sw->daemon_moves)
		return sw->new_holds ? MOVED : BEFORE;
	return now_ms < sw->at_ms ? BEFORE : MOVED;
}

bool ctl_switch_before(const struct ctl_switch *sw, uint64_t now_ms)
{
	return phase_at(sw, now_ms) == BEFORE;
}

/* The time after now_ms at which sw's phase changes; 0 if never. */
static uint64_t next_change(const struct ctl_switch *sw, uint64_t now_ms)
{
	switch (phase_at(sw, now_ms)) {
	case BEFORE:
		if (!sw->daemon_moves)
			return sw->at_ms;
		return sw->at_ms + CTL_SWITCH_KEEP_MS;
	case MOVED:
		return sw->at_ms + CTL_SWITCH_KEEP_MS;
	default:
		return 0;
	}
}

uint64_t ctl_switch_next(const struct ctl_switch *sw, size_t n,
			 uint64_t now_ms)
{
	uint64_t next = 0, t;

	for (size_t i = 0; i < n; i++) {
		t = next_change(&sw[i], now_ms);
		if (t && (!next || t < next))
			next = t;
	}
	return next;
}

static const struct ctl_switch *switch_of(const struct ctl_switch *sw,
					  size_t n, size_t peer)
{
	for (size_t i = 0; i < n; i++)
		if (sw[i].peer == peer)
			return &sw[i];
	return NULL;
}

/* A copy of p with its own AllowedIPs (with_ips) or none. */
static int copy_peer(struct lw_peer_plan *to, const struct lw_peer_plan *p,
		     bool with_ips)
{
	*to = *p;
	to->psk_path = NULL;
	to->allowed_ips = NULL;
	to->n_allowed_ips = 0;
	if (!with_ips || !p->n_allowed_ips)
		return 0;
	to->allowed_ips = malloc(p->n_allowed_ips * sizeof(*p->allowed_ips));
	if (!to->allowed_ips)
		return -ENOMEM;
	memcpy(to->allowed_ips, p->allowed_ips,
	       p->n_allowed_ips * sizeof(*p->allowed_ips));
	to->n_allowed_ips = p->n_allowed_ips;
	return 0;
}

int ctl_switch_peers(const struct lw_node_plan *pl,
		     const struct ctl_switch *sw, size_t n, uint64_t now_ms,
		     struct lw_peer_plan **out, size_t *n_out,
		     uint64_t *next_ms)
{
	struct lw_peer_plan *v = calloc(2 * pl->n_peers + 1, sizeof(*v));
	size_t i, k = 0;
	int r = 0;

	*next_ms = 0;
	if (!v)
		return -ENOMEM;
	for (i = 0; i < pl->n_peers && !r; i++) {
		const struct ctl_switch *s = switch_of(sw, n, i);
		enum phase ph = s ? phase_at(s, now_ms) : DONE;

		r = copy_peer(&v[k++], &pl->peers[i], ph != BEFORE);
		if (r || ph == DONE)
			continue;
		/* the old key's peer: holds the AllowedIPs until T */
		r = copy_peer(&v[k], &pl->peers[i], ph == BEFORE);
		memcpy(v[k++].public_key, s->replaces, LW_KEY_LEN);
	}
	if (r) {
		ctl_switch_peers_free(v, k);
		return r;
	}
	*out = v;
	*n_out = k;
	*next_ms = ctl_switch_next(sw, n, now_ms);
	return 0;
}

void ctl_switch_peers_free(struct lw_peer_plan *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		crypto_wipe(v[i].psk, LW_KEY_LEN);
		free(v[i].allowed_ips);
	}
	free(v);
}

/* ---- publish ---- */

static bool old_key(const json_t *v, uint8_t key[static LW_KEY_LEN])
{
	const char *s = json_string_value(v);

	return s && !key_from_base64(key, s);
}

bool ctl_switch_carry(const json_t *old, const uint8_t pub[static LW_KEY_LEN],
		      uint64_t now_ms, struct ctl_switch *sw)
{
	const json_t *at = json_object_get(old, "switch_at");
	uint8_t was[LW_KEY_LEN];

	memset(sw, 0, sizeof(*sw));
	if (!old || !old_key(json_object_get(old, "public_key"), was))
		return false; /* a new node, or an index from before */
	if (memcmp(was, pub, LW_KEY_LEN)) {
		memcpy(sw->replaces, was, LW_KEY_LEN);
		sw->at_ms = now_ms + CTL_SWITCH_DELAY_MS;
		return true;
	}
	if (!json_is_integer(at) || json_integer_value(at) <= 0 ||
	    !old_key(json_object_get(old, "replaces"), sw->replaces))
		return false;
	sw->at_ms = (uint64_t)json_integer_value(at);
	return now_ms < sw->at_ms + CTL_SWITCH_KEEP_MS;
}

static int mark(json_t *o, const struct ctl_switch *sw, bool with_key)
{
	char text[LW_KEY_B64_LEN + 1];

	key_to_base64(text, sw->replaces);
	if (with_key &&
	    json_object_set_new(o, "replaces", json_string(text)))
		return -ENOMEM;
	return json_object_set_new(o, "switch_at",
				   json_integer((json_int_t)sw->at_ms)) ?
		       -ENOMEM :
		       0;
}

int ctl_switch_mark(json_t *st, const char *self, const struct ctl_switch *sw,
		    size_t n)
{
	json_t *peers = json_object_get(st, "peers"), *p;
	size_t i, j;
	int r = 0;

	for (j = 0; j < n && !r; j++) {
		if (!strcmp(sw[j].name, self))
			r = mark(st, &sw[j], false);
		json_array_foreach(peers, i, p)
			if (!r && !strcmp(json_string_value(json_object_get(
						  p, "name")) ?: "",
					  sw[j].name))
				r = mark(p, &sw[j], true);
	}
	return r;
}

int ctl_switch_index(json_t *entry, const struct ctl_switch *sw)
{
	return mark(entry, sw, true);
}
