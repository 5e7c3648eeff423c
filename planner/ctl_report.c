// SPDX-License-Identifier: MIT
/*
 * The agent's report of an applied epoch (ctl_report.h): built from the
 * interface's UAPI answer, written as JSON with jansson, and read back
 * strictly by serve (the body of POST /applied: from the network, so
 * refused whole when anything is off) and by lanwire status (what serve
 * kept).
 */
#include "ctl_report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "desc.h"
#include "key.h"
#include "keys.h"

#define JSON_MAX_INT 9007199254740991LL /* what survives any JSON reader */

static int64_t clamp(uint64_t v)
{
	return v > (uint64_t)JSON_MAX_INT ? JSON_MAX_INT : (int64_t)v;
}

int ctl_report_from_status(struct ctl_report *r, uint64_t epoch,
			   const struct lw_wg_status *st, uint64_t now)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	r->epoch = epoch;
	r->peers = calloc(st->n_peers ? st->n_peers : 1, sizeof(*r->peers));
	if (!r->peers)
		return -ENOMEM;
	for (i = 0; i < st->n_peers && i < CTL_MAX_REPORT_PEERS; i++) {
		const struct lw_wg_peer *p = &st->peers[i];
		struct ctl_report_peer *q = &r->peers[r->n_peers++];

		memcpy(q->public_key, p->public_key, LW_KEY_LEN);
		q->handshake_age = !p->handshake_sec ? -1 :
				   p->handshake_sec >= now ?
							0 :
							clamp(now - p->handshake_sec);
		snprintf(q->endpoint, sizeof(q->endpoint), "%s", p->endpoint);
		q->rx_bytes = (uint64_t)clamp(p->rx_bytes);
		q->tx_bytes = (uint64_t)clamp(p->tx_bytes);
	}
	return 0;
}

json_t *ctl_report_peer_json(const struct ctl_report_peer *p)
{
	char key[LW_KEY_B64_LEN + 1];

	key_to_base64(key, p->public_key);
	return json_pack("{s:s, s:o, s:s, s:I, s:I}", "public_key", key,
			 "handshake_age",
			 p->handshake_age < 0 ?
				 json_null() :
				 json_integer((json_int_t)p->handshake_age),
			 "endpoint", p->endpoint, "rx_bytes",
			 (json_int_t)clamp(p->rx_bytes), "tx_bytes",
			 (json_int_t)clamp(p->tx_bytes));
}

json_t *ctl_report_json(const struct ctl_report *r, bool kept)
{
	json_t *peers = json_array(), *o;
	size_t i;

	for (i = 0; peers && i < r->n_peers; i++)
		if (json_array_append_new(peers,
					  ctl_report_peer_json(&r->peers[i]))) {
			json_decref(peers);
			return NULL;
		}
	o = json_pack("{s:I, s:o}", "epoch", (json_int_t)clamp(r->epoch),
		      "peers", peers);
	if (o && kept &&
	    (json_object_set_new(o, "node", json_string(r->node)) ||
	     json_object_set_new(o, "at_ms",
				 json_integer((json_int_t)clamp(r->at_ms))))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ---- the reader ---- */

/* An integer in [min, JSON_MAX_INT]. */
static bool count_of(json_t *v, long long min, uint64_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > JSON_MAX_INT)
		return false;
	*out = (uint64_t)json_integer_value(v);
	return true;
}

/* Exactly the keys named in keys (NULL-terminated) and no other. */
static bool exact_keys(json_t *o, const char *const keys[])
{
	size_t n = 0;

	if (!json_is_object(o))
		return false;
	for (; keys[n]; n++)
		if (!json_object_get(o, keys[n]))
			return false;
	return json_object_size(o) == n;
}

static bool endpoint_ok(const char *s)
{
	size_t i, len = strlen(s);

	if (len >= CTL_ENDPOINT_MAX)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

static int read_peer(struct ctl_report_peer *p, json_t *o, size_t i,
		     char *err, size_t errlen)
{
	static const char *const keys[] = { "public_key", "handshake_age",
					    "endpoint", "rx_bytes",
					    "tx_bytes", NULL };
	json_t *age = json_object_get(o, "handshake_age");
	const char *key = json_string_value(json_object_get(o, "public_key"));
	const char *ep = json_string_value(json_object_get(o, "endpoint"));
	uint64_t a = 0;

	if (!exact_keys(o, keys))
		return ctl_fail(err, errlen, -EBADMSG,
				"peer %zu: not an object of exactly public_key, "
				"handshake_age, endpoint, rx_bytes, tx_bytes",
				i);
	if (!key || ctl_b64_decode(p->public_key, LW_KEY_LEN, key))
		return ctl_fail(err, errlen, -EBADMSG,
				"peer %zu: public_key is not a key", i);
	if (!json_is_null(age) && !count_of(age, 0, &a))
		return ctl_fail(err, errlen, -EBADMSG,
				"peer %zu: handshake_age is not seconds or null",
				i);
	p->handshake_age = json_is_null(age) ? -1 : (int64_t)a;
	if (!ep || !endpoint_ok(ep))
		return ctl_fail(err, errlen, -EBADMSG,
				"peer %zu: endpoint is not HOST:PORT or \"\"", i);
	snprintf(p->endpoint, sizeof(p->endpoint), "%s", ep);
	if (!count_of(json_object_get(o, "rx_bytes"), 0, &p->rx_bytes) ||
	    !count_of(json_object_get(o, "tx_bytes"), 0, &p->tx_bytes))
		return ctl_fail(err, errlen, -EBADMSG,
				"peer %zu: rx_bytes and tx_bytes must be counts",
				i);
	return 0;
}

static int read_peers(struct ctl_report *r, json_t *a, char *err,
		      size_t errlen)
{
	size_t i, j, n = json_array_size(a);
	int e;

	if (!json_is_array(a) || n > CTL_MAX_REPORT_PEERS)
		return ctl_fail(err, errlen, -EBADMSG,
				"peers is not an array of at most %u",
				CTL_MAX_REPORT_PEERS);
	r->peers = calloc(n ? n : 1, sizeof(*r->peers));
	if (!r->peers)
		return ctl_fail(err, errlen, -ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		e = read_peer(&r->peers[i], json_array_get(a, i), i, err,
			      errlen);
		if (e)
			return e;
		for (j = 0; j < i; j++)
			if (!memcmp(r->peers[j].public_key,
				    r->peers[i].public_key, LW_KEY_LEN))
				return ctl_fail(err, errlen, -EBADMSG,
						"peer %zu: the key of peer %zu "
						"again",
						i, j);
		r->n_peers++;
	}
	return 0;
}

static int read_root(struct ctl_report *r, json_t *root, bool kept,
		     char *err, size_t errlen)
{
	static const char *const agent_keys[] = { "epoch", "peers", NULL };
	static const char *const kept_keys[] = { "epoch", "peers", "node",
						 "at_ms", NULL };
	const char *node = json_string_value(json_object_get(root, "node"));

	if (!exact_keys(root, kept ? kept_keys : agent_keys))
		return ctl_fail(err, errlen, -EBADMSG,
				"not an object of exactly epoch, peers%s",
				kept ? ", node, at_ms" : "");
	if (!count_of(json_object_get(root, "epoch"), 1, &r->epoch))
		return ctl_fail(err, errlen, -EBADMSG,
				"epoch is not a whole number from 1");
	if (kept && (!node || !desc_name_ok(node)))
		return ctl_fail(err, errlen, -EBADMSG, "node is not a name");
	if (kept)
		snprintf(r->node, sizeof(r->node), "%s", node);
	if (kept && !count_of(json_object_get(root, "at_ms"), 0, &r->at_ms))
		return ctl_fail(err, errlen, -EBADMSG,
				"at_ms is not a time in ms");
	return read_peers(r, json_object_get(root, "peers"), err, errlen);
}

int ctl_report_parse(struct ctl_report *out, const char *text, size_t len,
		     bool kept, char *err, size_t errlen)
{
	struct ctl_report r = { 0 };
	json_error_t jerr;
	json_t *root;
	int e;

	if (len > CTL_MAX_REPORT)
		return ctl_fail(err, errlen, -EMSGSIZE,
				"report of %zu bytes (at most %u)", len,
				CTL_MAX_REPORT);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return ctl_fail(err, errlen, -EBADMSG, "not JSON: %s",
				jerr.text);
	e = read_root(&r, root, kept, err, errlen);
	json_decref(root);
	if (e) {
		ctl_report_free(&r);
		return e;
	}
	*out = r;
	return 0;
}

void ctl_report_free(struct ctl_report *r)
{
	free(r->peers);
	memset(r, 0, sizeof(*r));
}

char *ctl_report_text(uint64_t epoch, const char *iface, uint64_t now)
{
	struct lw_wg_status st = { 0 };
	struct ctl_report r;
	json_t *o = NULL;
	char *text = NULL;

	/* No answer from the interface: the epoch alone, no peers. */
	if (status_get(&st, iface))
		status_free(&st);
	if (!ctl_report_from_status(&r, epoch, &st, now)) {
		o = ctl_report_json(&r, false);
		ctl_report_free(&r);
	}
	status_free(&st);
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return text;
}
