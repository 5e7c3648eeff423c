// SPDX-License-Identifier: MIT
/*
 * What the lab probes and what it expects (lab.h). The questions: icmp,
 * the first port of every protocol/port a rule or service line names, and
 * tcp and udp LAB_PROBE_PORT, which no policy lists (so only rules for
 * every port open it). Every host asks each of them of every address of
 * every other host in the same family, and expects what
 * policy_path_allows() (the policy read by names) says, except where no
 * tunnel is crossed (policy_path_skipped(), and a LAN host to its own
 * gateway's LAN address, which the gateway leaves alone). A gateway's
 * LAN address reached through the tunnel is the gateway itself when the
 * description names it (lan-address): its service lines open it as they
 * open its tunnel addresses; an address the lab chose is opened by none.
 *
 * Tampered runs: the widened client asks again as itself and expects the
 * same; the spoofer asks from the spoofed client's addresses and expects
 * nothing to get through.
 */
#include "lab.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "desc.h"

static void add_question(struct lab *l, enum lw_proto proto, uint16_t port)
{
	size_t i;

	for (i = 0; i < l->n_q; i++) {
		if (l->q[i].proto == proto && l->q[i].port == port)
			return;
	}
	if (l->n_q < LAB_MAX_QUESTIONS)
		l->q[l->n_q++] = (struct lab_question){ proto, port };
}

static void questions(struct lab *l)
{
	size_t i, k;

	l->n_q = 0;
	add_question(l, LW_PROTO_ICMP, 0);
	for (i = 0; i < l->d->n_rules; i++) {
		for (k = 0; k < l->d->rules[i].n_svcs; k++) {
			const struct lw_svc *s = &l->d->rules[i].svcs[k];

			if (s->proto != LW_PROTO_ICMP && s->lo)
				add_question(l, s->proto, s->lo);
		}
	}
	add_question(l, LW_PROTO_TCP, LAB_PROBE_PORT);
	add_question(l, LW_PROTO_UDP, LAB_PROBE_PORT);
}

static struct lab_pair *new_pair(struct lab *l)
{
	struct lab_pair *p;

	if (lw_grow(&l->pairs, &l->cap_pairs, l->n_pairs + 1,
		    sizeof(*l->pairs)))
		return NULL;
	p = &l->pairs[l->n_pairs++];
	memset(p, 0, sizeof(*p));
	return p;
}

/* Host h's address in family fam that it sends from, or NULL. */
static const struct lab_addr *source_of(const struct lab_host *h,
					uint8_t fam)
{
	size_t i;

	for (i = 0; i < h->n_addrs; i++) {
		if (h->addrs[i].ep.addr.family == fam &&
		    strcmp(h->addrs[i].target, "lan"))
			return &h->addrs[i];
	}
	return NULL;
}

/* Whether host s sits on the LAN of site (seed 001's on-site laptop). */
static bool on_site(const struct lab *l, const struct lab_host *s,
		    size_t gateway)
{
	ssize_t k;

	if (s->kind == LAB_DEVICE)
		return s->party == gateway;
	if (!l->sc->onsite_client || strcmp(l->sc->onsite_client, s->name))
		return false;
	k = desc_find_site(l->d, l->sc->onsite_site);
	return k >= 0 && l->d->sites[k].gateway == gateway;
}

static bool no_tunnel(const struct lab *l, const struct lab_host *s,
		      const struct lab_addr *src, const struct lab_addr *dst)
{
	if (policy_path_skipped(&src->ep, &dst->ep))
		return true;
	/* a host on a LAN to that LAN's gateway address */
	return !strcmp(dst->target, "lan") && on_site(l, s, dst->ep.node);
}

/* Every probe from host a (as src, or as the spoofed victim's address). */
static int pairs_from(struct lab *l, size_t a, enum lab_tamper tamper)
{
	const struct lab_host *s = &l->hosts[a], *t;
	const struct lab_host *as = tamper == LAB_TAMPER_SPOOFED ?
					    &l->hosts[l->spoofed] : s;
	const struct lab_addr *src, *dst;
	struct lab_pair *p;
	size_t b, k, q;

	for (b = 0; b < l->n_hosts; b++) {
		t = &l->hosts[b];
		if (b == a || (tamper == LAB_TAMPER_SPOOFED && t == as))
			continue;
		for (k = 0; k < t->n_addrs; k++) {
			dst = &t->addrs[k];
			src = source_of(as, dst->ep.addr.family);
			if (!src || no_tunnel(l, s, source_of(s,
						dst->ep.addr.family) ?: src,
					      dst))
				continue;
			for (q = 0; q < l->n_q; q++) {
				p = new_pair(l);
				if (!p)
					return -1;
				p->from = a;
				p->to = b;
				p->to_addr = k;
				p->proto = l->q[q].proto;
				p->port = l->q[q].port;
				p->tamper = tamper;
				snprintf(p->source, sizeof(p->source), "%s",
					 src->text);
				p->expect = tamper != LAB_TAMPER_SPOOFED &&
					    (strcmp(dst->target, "lan") ||
					     dst->ep.is_lan_address) &&
					    policy_path_allows(
						    l->d, &src->ep, &dst->ep,
						    p->proto, p->port);
			}
		}
	}
	return 0;
}

int lab_pairs(struct lab *l, enum lab_tamper tamper)
{
	size_t a;

	if (!l->n_q)
		questions(l);
	if (tamper == LAB_TAMPER_WIDENED)
		return l->widened == SIZE_MAX ?
			       0 :
			       pairs_from(l, l->widened, tamper);
	if (tamper == LAB_TAMPER_SPOOFED)
		return l->spoofer == SIZE_MAX ?
			       0 :
			       pairs_from(l, l->spoofer, tamper);
	for (a = 0; a < l->n_hosts; a++) {
		if (pairs_from(l, a, tamper))
			return -1;
	}
	return 0;
}
