// SPDX-License-Identifier: MIT
/*
 * The lab's report (lab.h), as text for a person or JSON for scripts:
 *
 *   - the reachability table of tcp/LAB_PROBE_PORT (the port no policy
 *     lists) between every pair of addresses: expected by the policy,
 *     observed, RTT, the source address the far end saw, OK or MISMATCH
 *   - every mismatched probe, of any protocol, port or tamper
 *   - the matrix: per source group (its group, or hub, gateway, lan host,
 *     site host), family and tamper, how many probes the policy allows
 *     and how many got through
 *   - the on-site route checks and the throughput figure (seed networks)
 *
 * The JSON holds every probe.
 */
#include "lab.h"

#include <string.h>
#include <sys/socket.h>

#include "svc.h"

static const char *allow(bool b)
{
	return b ? "allow" : "deny";
}

static const char *kind_name(enum lab_kind k)
{
	static const char *const names[] = { "hub", "gateway", "client",
					     "device" };

	return names[k];
}

const char *lab_tamper_name(enum lab_tamper t)
{
	static const char *const names[] = { "none", "widened", "spoofed" };

	return names[t];
}

static const char *addr_of(const struct lab *l, const struct lab_pair *p)
{
	return l->hosts[p->to].addrs[p->to_addr].text;
}

static void what(const struct lab_pair *p, char *out, size_t size)
{
	if (p->proto == LW_PROTO_ICMP)
		snprintf(out, size, "icmp");
	else
		snprintf(out, size, "%s/%u", svc_proto_name(p->proto), p->port);
}

static void text_row(const struct lab *l, const struct lab_pair *p, FILE *f)
{
	char w[16];

	what(p, w, sizeof(w));
	fprintf(f, "%-14s %-14s %-24s %-9s %-8s %-8s %-8s ",
		l->hosts[p->from].name, l->hosts[p->to].name, addr_of(l, p), w,
		lab_tamper_name(p->tamper), allow(p->expect),
		allow(p->seen_ok));
	if (p->seen_ok)
		fprintf(f, "%8.2f  %-24s ", p->rtt_ms, p->seen_source);
	else
		fprintf(f, "%8s  %-24s ", "-", p->error);
	fprintf(f, "%s\n", p->ok ? "OK" : "MISMATCH");
}

static void text_header(FILE *f)
{
	fprintf(f, "%-14s %-14s %-24s %-9s %-8s %-8s %-8s %8s  %-24s %s\n",
		"FROM", "TO", "ADDRESS", "PROBE", "TAMPER", "EXPECTED",
		"OBSERVED", "RTT ms", "SOURCE SEEN", "RESULT");
}

/* One matrix row: a source group, family and tamper. */
struct row {
	char group[LW_NAME_MAX + 12];
	uint8_t family;
	enum lab_tamper tamper;
	unsigned int probes, expect, seen, bad;
};

static size_t matrix(const struct lab *l, struct row *rows, size_t max)
{
	size_t i, k, n = 0;

	for (i = 0; i < l->n_pairs; i++) {
		const struct lab_pair *p = &l->pairs[i];
		const char *g = l->hosts[p->from].group;
		uint8_t fam = l->hosts[p->to].addrs[p->to_addr].ep.addr.family;

		for (k = 0; k < n; k++) {
			if (!strcmp(rows[k].group, g) &&
			    rows[k].family == fam && rows[k].tamper == p->tamper)
				break;
		}
		if (k == n) {
			if (n == max)
				continue;
			memset(&rows[n], 0, sizeof(rows[n]));
			snprintf(rows[n].group, sizeof(rows[n].group), "%s", g);
			rows[n].family = fam;
			rows[n++].tamper = p->tamper;
		}
		rows[k].probes++;
		rows[k].expect += p->expect;
		rows[k].seen += p->seen_ok;
		rows[k].bad += !p->ok;
	}
	return n;
}

static void text_matrix(const struct lab *l, FILE *f)
{
	struct row rows[64];
	size_t i, n = matrix(l, rows, 64);

	fprintf(f, "\n%-16s %-6s %-8s %7s %9s %9s %10s\n", "FROM GROUP",
		"FAMILY", "TAMPER", "PROBES", "EXPECTED", "OBSERVED",
		"MISMATCHED");
	for (i = 0; i < n; i++)
		fprintf(f, "%-16s %-6s %-8s %7u %9u %9u %10u\n", rows[i].group,
			family_name(rows[i].family),
			lab_tamper_name(rows[i].tamper), rows[i].probes,
			rows[i].expect, rows[i].seen, rows[i].bad);
	fprintf(f, "(EXPECTED and OBSERVED count the probes allowed through)\n");
}

void lab_report_text(const struct lab *l, FILE *f)
{
	/* lab_count() counts the route and throughput checks beside the
	 * probes: the closing line says so ("72 probes, 73 as expected" read
	 * as an error) */
	size_t other = l->n_routes + (l->sc->iperf_from ? 1 : 0);
	size_t i, bad = 0;

	fprintf(f, "\nlanwire lab %s%s%s%s: %s\n\n", l->sc->name,
		l->sc->seed ? " (seed " : "", l->sc->seed ? l->sc->seed : "",
		l->sc->seed ? ")" : "", l->sc->about);
	text_header(f);
	for (i = 0; i < l->n_pairs; i++) {
		const struct lab_pair *p = &l->pairs[i];

		if (p->proto == LW_PROTO_TCP && p->port == LAB_PROBE_PORT &&
		    p->tamper == LAB_TAMPER_NONE)
			text_row(l, p, f);
		bad += !p->ok;
	}
	if (bad) {
		fprintf(f, "\nmismatched probes:\n");
		text_header(f);
		for (i = 0; i < l->n_pairs; i++) {
			if (!l->pairs[i].ok)
				text_row(l, &l->pairs[i], f);
		}
	}
	text_matrix(l, f);
	for (i = 0; i < l->n_routes; i++)
		fprintf(f, "\nroute %s -> %s: dev %s (expected %s) %s",
			l->routes[i].host, l->routes[i].dst, l->routes[i].dev,
			l->routes[i].expect_dev,
			l->routes[i].ok ? "OK" : "MISMATCH");
	if (l->n_routes)
		fputc('\n', f);
	if (l->sc->iperf_from && l->iperf_mbit >= 0)
		fprintf(f, "\nthroughput %s -> %s: %.0f Mbit/s (iperf3, TCP, 3 s)\n",
			l->sc->iperf_from, l->sc->iperf_to, l->iperf_mbit);
	else if (l->sc->iperf_from)
		fprintf(f, "\nthroughput %s -> %s: %s MISMATCH\n",
			l->sc->iperf_from, l->sc->iperf_to, l->iperf_error);
	fprintf(f, "\n%s: %zu probes and %zu other check%s, %u as expected, "
		"%u mismatched (%.1f s)\n",
		l->sc->name, l->n_pairs, other, other == 1 ? "" : "s",
		l->passed, l->failed, l->seconds);
}

/* Names and addresses are [A-Za-z0-9_.:-]; errors come from strerror. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s >= 0x20)
			fputc(*s, f);
	}
	fputc('"', f);
}

static void json_kv(FILE *f, const char *key, const char *v)
{
	fprintf(f, ", \"%s\": ", key);
	json_str(f, v);
}

static const char *first_addr(const struct lab_host *h, const char *target)
{
	size_t i;

	for (i = 0; i < h->n_addrs; i++) {
		if (!target || !strcmp(h->addrs[i].target, target))
			return h->addrs[i].text;
	}
	return NULL;
}

static void json_hosts(const struct lab *l, FILE *f)
{
	const struct lab_host *h;
	size_t i, k;

	fputs("  \"hosts\": [\n", f);
	for (i = 0; i < l->n_hosts; i++) {
		h = &l->hosts[i];
		fputs("    {\"name\": ", f);
		json_str(f, h->name);
		json_kv(f, "kind", kind_name(h->kind));
		json_kv(f, "group", h->group);
		json_kv(f, "namespace", h->ns);
		json_kv(f, "address", h->n_addrs ? h->addrs[0].text : "");
		if (first_addr(h, "lan"))
			json_kv(f, "lan_address", first_addr(h, "lan"));
		fputs(", \"addresses\": [", f);
		for (k = 0; k < h->n_addrs; k++) {
			fputs(k ? ", " : "", f);
			json_str(f, h->addrs[k].text);
		}
		fprintf(f, "]}%s\n", i + 1 < l->n_hosts ? "," : "");
	}
	fputs("  ],\n", f);
}

static void json_pair(const struct lab *l, const struct lab_pair *p, FILE *f)
{
	fputs("    {\"from\": ", f);
	json_str(f, l->hosts[p->from].name);
	json_kv(f, "to", l->hosts[p->to].name);
	json_kv(f, "address", addr_of(l, p));
	json_kv(f, "target", l->hosts[p->to].addrs[p->to_addr].target);
	json_kv(f, "proto", svc_proto_name(p->proto));
	fprintf(f, ", \"port\": %u", p->port);
	json_kv(f, "tamper", lab_tamper_name(p->tamper));
	json_kv(f, "source", p->source);
	fprintf(f, ", \"expected\": \"%s\", \"observed\": \"%s\"",
		allow(p->expect), allow(p->seen_ok));
	if (p->seen_ok) {
		fprintf(f, ", \"rtt_ms\": %.3f", p->rtt_ms);
		json_kv(f, "source_seen", p->seen_source);
	} else {
		json_kv(f, "error", p->error);
	}
	fprintf(f, ", \"ok\": %s}", p->ok ? "true" : "false");
}

static void json_pairs(const struct lab *l, FILE *f)
{
	size_t i;

	fputs("  \"pairs\": [\n", f);
	for (i = 0; i < l->n_pairs; i++) {
		json_pair(l, &l->pairs[i], f);
		fputs(i + 1 < l->n_pairs ? ",\n" : "\n", f);
	}
	fputs("  ],\n", f);
}

static void json_matrix(const struct lab *l, FILE *f)
{
	struct row rows[64];
	size_t i, n = matrix(l, rows, 64);

	fputs("  \"matrix\": [\n", f);
	for (i = 0; i < n; i++) {
		fputs("    {\"group\": ", f);
		json_str(f, rows[i].group);
		json_kv(f, "family", family_name(rows[i].family));
		json_kv(f, "tamper", lab_tamper_name(rows[i].tamper));
		fprintf(f, ", \"probes\": %u, \"expected_allow\": %u, "
			   "\"observed_allow\": %u, \"mismatched\": %u}%s\n",
			rows[i].probes, rows[i].expect, rows[i].seen,
			rows[i].bad, i + 1 < n ? "," : "");
	}
	fputs("  ],\n", f);
}

static void json_routes(const struct lab *l, FILE *f)
{
	const struct lab_route *r;
	size_t i;

	fputs("  \"routes\": [\n", f);
	for (i = 0; i < l->n_routes; i++) {
		r = &l->routes[i];
		fputs("    {\"host\": ", f);
		json_str(f, r->host);
		json_kv(f, "destination", r->dst);
		json_kv(f, "expected_dev", r->expect_dev);
		json_kv(f, "dev", r->dev);
		fprintf(f, ", \"ok\": %s}%s\n", r->ok ? "true" : "false",
			i + 1 < l->n_routes ? "," : "");
	}
	fputs("  ],\n", f);
}

static void json_throughput(const struct lab *l, FILE *f)
{
	if (!l->sc->iperf_from) {
		fputs("  \"throughput\": null,\n", f);
		return;
	}
	fputs("  \"throughput\": {\"from\": ", f);
	json_str(f, l->sc->iperf_from);
	json_kv(f, "to", l->sc->iperf_to);
	if (l->iperf_mbit >= 0)
		fprintf(f, ", \"mbit_s\": %.1f},\n", l->iperf_mbit);
	else
		fputs(", \"mbit_s\": null},\n", f);
}

void lab_report_json(const struct lab *l, FILE *f)
{
	fputs("{\n  \"scenario\": ", f);
	json_str(f, l->sc->name);
	fputs(",\n  \"seed\": ", f);
	if (l->sc->seed)
		json_str(f, l->sc->seed);
	else
		fputs("null", f);
	fputs(",\n  \"tag\": ", f);
	json_str(f, l->tag);
	fputs(",\n", f);
	json_hosts(l, f);
	json_pairs(l, f);
	json_matrix(l, f);
	json_routes(l, f);
	json_throughput(l, f);
	fprintf(f, "  \"passed\": %u,\n  \"failed\": %u,\n"
		   "  \"seconds\": %.1f,\n  \"ok\": %s\n}\n",
		l->passed, l->failed, l->seconds, l->failed ? "false" : "true");
}
