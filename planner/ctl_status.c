// SPDX-License-Identifier: MIT
/*
 * lanwire status --store DIR (ctl_report.h): every node of a published
 * store side by side with what its agent last reported through the hub:
 * the epoch published against the one applied, when it reported, and
 * each of its peers' handshake age, endpoint and transfer as the node
 * saw them. The store's files are the admin's own (publish wrote the
 * index) or a hub's copy (serve wrote the reports, each checked by
 * ctl_report_parse() again here).
 */
#include "ctl_report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "desc.h"
#include "key.h"
#include "keys.h"
#include "txn.h"

static void read_report(struct ctl_status_node *n, const char *store)
{
	char path[4096], err[160], *text = NULL;
	size_t len;
	int r;

	snprintf(path, sizeof(path), "%s/reports/%s.json", store, n->name);
	r = lw_read_file(path, &text, &len, CTL_MAX_REPORT + 1);
	if (r == -ENOENT)
		return;
	if (!r)
		r = ctl_report_parse(&n->report, text, len, true, err,
				     sizeof(err));
	else
		snprintf(err, sizeof(err), "%s", strerror(-r));
	free(text);
	if (!r && strcmp(n->report.node, n->name)) {
		snprintf(err, sizeof(err), "it names node %s", n->report.node);
		ctl_report_free(&n->report);
		r = -EBADMSG;
	}
	if (r)
		snprintf(n->problem, sizeof(n->problem),
			 "unreadable report: %s", err);
	n->reported = !r;
}

static int read_nodes(struct ctl_status *s, json_t *nodes, const char *store,
		      char *err, size_t errlen)
{
	size_t i, n = json_array_size(nodes);
	json_t *e;

	s->nodes = calloc(n ? n : 1, sizeof(*s->nodes));
	if (!s->nodes)
		return ctl_fail(err, errlen, -ENOMEM, "out of memory");
	json_array_foreach(nodes, i, e) {
		struct ctl_status_node *sn = &s->nodes[i];
		const char *name = json_string_value(json_object_get(e, "name"));
		json_t *ep = json_object_get(e, "epoch");

		if (!name || !desc_name_ok(name) || !json_is_integer(ep) ||
		    json_integer_value(ep) < 0)
			return ctl_fail(err, errlen, -EINVAL,
					"node %zu of the index has no name or "
					"epoch",
					i);
		snprintf(sn->name, sizeof(sn->name), "%s", name);
		sn->published = (uint64_t)json_integer_value(ep);
		s->n_nodes++;
		read_report(sn, store);
	}
	return 0;
}

int ctl_status_load(struct ctl_status *s, const char *store, char *err,
		    size_t errlen)
{
	char path[4096];
	json_error_t jerr;
	json_t *root, *nodes, *ep;
	const char *net;
	int r;

	memset(s, 0, sizeof(*s));
	snprintf(path, sizeof(path), "%s/index.json", store);
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return ctl_fail(err, errlen, -ENOENT, "%s: %s", path,
				jerr.text);
	net = json_string_value(json_object_get(root, "network"));
	nodes = json_object_get(root, "nodes");
	ep = json_object_get(root, "epoch");
	if (!net || strlen(net) > LW_NAME_MAX || !json_is_array(nodes) ||
	    !json_is_integer(ep) || json_integer_value(ep) < 0) {
		json_decref(root);
		return ctl_fail(err, errlen, -EINVAL,
				"%s is not a store's index (network, epoch, "
				"nodes)",
				path);
	}
	snprintf(s->network, sizeof(s->network), "%s", net);
	s->epoch = (uint64_t)json_integer_value(ep);
	r = read_nodes(s, nodes, store, err, errlen);
	json_decref(root);
	if (r)
		ctl_status_free(s);
	return r;
}

void ctl_status_free(struct ctl_status *s)
{
	size_t i;

	for (i = 0; i < s->n_nodes; i++)
		ctl_report_free(&s->nodes[i].report);
	free(s->nodes);
	memset(s, 0, sizeof(*s));
}

/* ---- showing it ---- */

static void print_seconds(FILE *f, uint64_t s)
{
	if (s < 60)
		fprintf(f, "%" PRIu64 " s", s);
	else if (s < 3600)
		fprintf(f, "%" PRIu64 " min %" PRIu64 " s", s / 60, s % 60);
	else if (s < 86400)
		fprintf(f, "%" PRIu64 " h %" PRIu64 " min", s / 3600,
			s / 60 % 60);
	else
		fprintf(f, "%" PRIu64 " d %" PRIu64 " h", s / 86400,
			s / 3600 % 24);
}

static void print_peer(FILE *f, const struct ctl_report_peer *p,
		       ctl_peer_namer name, void *arg)
{
	char key[LW_KEY_B64_LEN + 1];
	const char *who = name ? name(p->public_key, arg) : NULL;

	key_to_base64(key, p->public_key);
	fprintf(f, "  peer %s: handshake ", who ? who : key);
	if (p->handshake_age < 0) {
		fputs("never", f);
	} else {
		print_seconds(f, (uint64_t)p->handshake_age);
		fputs(" before the report", f);
	}
	if (p->endpoint[0])
		fprintf(f, ", endpoint %s", p->endpoint);
	fprintf(f, ", %" PRIu64 " B received, %" PRIu64 " B sent\n",
		p->rx_bytes, p->tx_bytes);
}

static void print_node(FILE *f, const struct ctl_status_node *n,
		       ctl_peer_namer name, void *arg, uint64_t now_ms)
{
	const struct ctl_report *r = &n->report;
	size_t i;

	fprintf(f, "node %s: published epoch %" PRIu64, n->name, n->published);
	if (!n->reported) {
		fprintf(f, ", %s\n", n->problem[0] ? n->problem : "no report yet");
		return;
	}
	fprintf(f, ", applied %" PRIu64 " (%s), reported ", r->epoch,
		r->epoch == n->published ? "up to date" :
		r->epoch < n->published	 ? "behind" :
					   "ahead of this store");
	if (r->at_ms > now_ms)
		fputs("just now", f);
	else {
		print_seconds(f, (now_ms - r->at_ms) / 1000);
		fputs(" ago", f);
	}
	fprintf(f, ", %zu peer%s\n", r->n_peers, r->n_peers == 1 ? "" : "s");
	for (i = 0; i < r->n_peers; i++)
		print_peer(f, &r->peers[i], name, arg);
}

void ctl_status_print(FILE *f, const struct ctl_status *s,
		      ctl_peer_namer name, void *arg, uint64_t now_ms)
{
	size_t i, behind = 0, silent = 0;

	for (i = 0; i < s->n_nodes; i++) {
		if (!s->nodes[i].reported)
			silent++;
		else if (s->nodes[i].report.epoch < s->nodes[i].published)
			behind++;
	}
	fprintf(f, "network %s: epoch %" PRIu64 ", %zu node%s", s->network,
		s->epoch, s->n_nodes, s->n_nodes == 1 ? "" : "s");
	if (!behind && !silent)
		fputs(", every one up to date\n", f);
	else
		fprintf(f, ", %zu behind, %zu without a report\n", behind,
			silent);
	for (i = 0; i < s->n_nodes; i++)
		print_node(f, &s->nodes[i], name, arg, now_ms);
}

static json_t *node_json(const struct ctl_status_node *n,
			 ctl_peer_namer name, void *arg, uint64_t now_ms)
{
	const struct ctl_report *r = &n->report;
	json_t *o, *peers = json_array(), *p;
	size_t i;

	o = json_pack("{s:s, s:I, s:b, s:o}", "node", n->name,
		      "published_epoch", (json_int_t)n->published,
		      "up_to_date", n->reported && r->epoch == n->published,
		      "problem",
		      n->problem[0] ? json_string(n->problem) : json_null());
	if (!o || !peers)
		goto fail;
	if (json_object_set_new(o, "applied_epoch",
				n->reported ? json_integer((json_int_t)r->epoch) :
					      json_null()) ||
	    json_object_set_new(o, "reported_at_ms",
				n->reported ? json_integer((json_int_t)r->at_ms) :
					      json_null()) ||
	    json_object_set_new(o, "report_age_ms",
				!n->reported ? json_null() :
				json_integer(r->at_ms > now_ms ?
						     0 :
						     (json_int_t)(now_ms -
								  r->at_ms))))
		goto fail;
	for (i = 0; i < r->n_peers; i++) {
		const char *who = name ? name(r->peers[i].public_key, arg) :
					 NULL;

		p = ctl_report_peer_json(&r->peers[i]);
		if (!p || json_array_append_new(peers, p) ||
		    json_object_set_new(p, "node",
					who ? json_string(who) : json_null()))
			goto fail;
	}
	if (json_object_set_new(o, "peers", peers))
		goto fail_o;
	return o;
fail:
	json_decref(peers);
fail_o:
	json_decref(o);
	return NULL;
}

json_t *ctl_status_json(const struct ctl_status *s, ctl_peer_namer name,
			void *arg, uint64_t now_ms)
{
	json_t *nodes = json_array(), *o;
	size_t i;

	for (i = 0; nodes && i < s->n_nodes; i++)
		if (json_array_append_new(nodes, node_json(&s->nodes[i], name,
							   arg, now_ms))) {
			json_decref(nodes);
			return NULL;
		}
	o = json_pack("{s:s, s:I, s:o}", "network", s->network, "epoch",
		      (json_int_t)s->epoch, "nodes", nodes);
	return o;
}
