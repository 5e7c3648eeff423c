// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness of the network description parser (planner/desc.c,
 * with inih): the input is a description file. Whatever parses and checks
 * clean is carried through the whole planner with made-up keys: a plan and
 * every rendered file of every node in both formats. Besides the
 * sanitizers' findings it traps when the model breaks what the planner
 * promises: every diagnostic has a message, allocated addresses lie in
 * their pool and are unique, a client's summarised routes cover each LAN
 * it may sit in with a strictly less specific prefix, every firewall
 * rule has sources, destinations and sane port ranges, a section that
 * lanwire add inserts into a clean description is parsed back, and
 * lanwire pin's text parses clean with every node where it was and
 * nothing left implicit.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "check.h"
#include "crypto.h"
#include "desc.h"
#include "edit.h"
#include "keys.h"
#include "pin.h"
#include "plan.h"
#include "render.h"
#include "routes.h"

static void check_diags(const struct lw_desc *d)
{
	size_t i;

	if (d->n_errors + d->n_warnings != d->n_diags)
		__builtin_trap();
	for (i = 0; i < d->n_diags; i++) {
		if (!d->diags[i].msg || !d->diags[i].msg[0])
			__builtin_trap();
	}
}

static void check_addresses(const struct lw_desc *d)
{
	const struct lw_lprefix *pool;
	const char *key;
	unsigned int fi;
	size_t i, j;

	for (i = 0; i < d->n_nodes; i++) {
		for (fi = 0; fi < LW_FAMILIES; fi++) {
			const struct lw_prefix *a = &d->nodes[i].addr[fi].p;

			pool = alloc_pool(d, &d->nodes[i], fi, &key);
			if (pool && !a->family)
				__builtin_trap(); /* clean but unallocated */
			if (!a->family)
				continue;
			if (!prefix_is_host(a) ||
			    (pool && !prefix_contains(&pool->p, a)))
				__builtin_trap();
			for (j = 0; j < i; j++) {
				if (prefix_equal(&d->nodes[j].addr[fi].p, a))
					__builtin_trap();
			}
		}
	}
}

/* Every visited, reachable LAN is covered by a wider route. */
static void check_summary(const struct lw_desc *d, size_t n)
{
	struct lw_plist l = { 0 };
	struct lw_conflict c;
	size_t s, k, i;
	bool covered;

	if (d->nodes[n].n_routes ||
	    routes_client_summary(d, n, &l, &c) != 0) {
		plist_free(&l);
		return;
	}
	for (s = 0; s < d->n_sites; s++) {
		if (!desc_talks(d, n, d->sites[s].gateway) ||
		    !routes_client_visits(d, n, s))
			continue;
		for (k = 0; k < d->sites[s].n_lans; k++) {
			const struct lw_prefix *lan = &d->sites[s].lans[k].p;

			covered = false;
			for (i = 0; i < l.n; i++)
				covered |= prefix_contains(&l.v[i], lan) &&
					   l.v[i].len < lan->len;
			if (!covered)
				__builtin_trap();
		}
	}
	plist_free(&l);
}

/* Keys for every node and pair, made up from the node index. */
static int fake_keyring(struct lw_keyring *kr, struct lw_desc *d)
{
	size_t i;

	if (keyring_load(kr, d, "/nonexistent/lanwire-fuzz"))
		return -1;
	for (i = 0; i < kr->n_nodes; i++) {
		if (kr->nodes[i].on_device)
			continue;
		memset(kr->nodes[i].private_key, (int)(i + 1), LW_KEY_LEN);
		kr->nodes[i].has_private = true;
		memset(kr->nodes[i].public_key, (int)(i + 2), LW_KEY_LEN);
		kr->nodes[i].has_public = true;
	}
	for (i = 0; i < kr->n_psks; i++)
		kr->psks[i].present = true;
	return 0;
}

/* The firewall model: no empty set, no range upside down. */
static void check_firewall(const struct lw_firewall *fw)
{
	size_t i, k;

	for (i = 0; i < fw->n_rules; i++) {
		const struct lw_fw_rule *r = &fw->rules[i];

		if (!r->n_src || !r->n_dst || !r->rule)
			__builtin_trap();
		for (k = 0; k < r->n_svcs; k++) {
			if (r->svcs[k].lo > r->svcs[k].hi ||
			    (!r->svcs[k].lo && r->svcs[k].hi))
				__builtin_trap();
		}
	}
}

static void render_everything(struct lw_desc *d)
{
	struct lw_render_opts o = { "fuzz.conf", "/etc/wireguard" };
	struct lw_node_plan pl;
	struct lw_keyring kr;
	struct lw_files files;
	char err[256];
	size_t i;

	if (fake_keyring(&kr, d)) {
		keyring_free(&kr);
		return;
	}
	for (i = 0; i < d->n_nodes; i++) {
		if (d->nodes[i].role == LW_ROLE_CLIENT)
			check_summary(d, i);
		if (plan_node(&pl, d, &kr, i, err, sizeof(err)))
			continue;
		check_firewall(&pl.fw);
		memset(&files, 0, sizeof(files));
		render_node(&pl, LW_FORMAT_WGQUICK, &o, &files);
		render_node(&pl, LW_FORMAT_NETWORKD, &o, &files);
		files_free(&files);
		plan_free(&pl);
	}
	keyring_free(&kr);
}

/* lanwire add's edit: the new client must be there when parsed back;
 * lanwire remove's edit of the first node must not crash the parser. */
static void check_edits(const struct lw_desc *d, const char *text, size_t size)
{
	static const char section[] = "[client fuzzadded]\ngroup = fuzz\n";
	struct lw_desc e;
	char *out = NULL;

	if (d->n_nodes < LW_MAX_NODES &&
	    !edit_add_section(text, size, "client", section, &out)) {
		if (!desc_parse(&e, "fuzz.conf", out, strlen(out)) &&
		    desc_find_node(&e, "fuzzadded") < 0)
			__builtin_trap();
		desc_free(&e);
	}
	free(out);
	out = NULL;
	if (d->n_nodes && !edit_remove_section(text, size,
			d->nodes[0].role == LW_ROLE_HUB ? "hub" :
			d->nodes[0].role == LW_ROLE_CLIENT ? "client" : "site",
			d->nodes[0].role == LW_ROLE_GATEWAY ?
				d->sites[d->nodes[0].site].name :
				d->nodes[0].name, &out)) {
		if (!desc_parse(&e, "fuzz.conf", out, strlen(out)))
			check_desc(&e);
		desc_free(&e);
	}
	free(out);
}

/* lanwire pin: the same addresses and ports, now all written. */
static void check_pin(const struct lw_desc *d, const char *text, size_t size)
{
	char *out = NULL, who[128];
	struct lw_desc e;
	size_t i, n;
	int r = pin_text(d, text, size, NULL, &out, &n);

	if (r == -ENOMEM)
		return;
	if (r)
		__builtin_trap(); /* a clean node's section not found */
	if (desc_parse(&e, "fuzz.conf", out, strlen(out)) == 0) {
		check_desc(&e);
		if (e.n_errors || !pin_same_identity(d, &e, who, sizeof(who)))
			__builtin_trap();
		for (i = 0; i < e.n_nodes; i++) {
			if (pin_node_implicit(&e.nodes[i]))
				__builtin_trap();
		}
	}
	desc_free(&e);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct lw_desc d;

	if (!ready) {
		if (crypto_init())
			abort();
		ready = true;
	}
	if (desc_parse(&d, "fuzz.conf", (const char *)data, size) == 0) {
		check_desc(&d);
		check_diags(&d);
		if (!d.n_errors) {
			check_addresses(&d);
			render_everything(&d);
			check_edits(&d, (const char *)data, size);
			check_pin(&d, (const char *)data, size);
		}
	}
	desc_free(&d);
	return 0;
}
