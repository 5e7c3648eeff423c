// SPDX-License-Identifier: MIT
/*
 * The lab's report (lab.h): the reachability table (every probed pair:
 * expected by the policy, observed, RTT of the TCP handshake, the source
 * address the far end saw, OK or MISMATCH), the on-site route checks, the
 * throughput figure, as text for a person or as JSON for scripts.
 */
#include "lab.h"

#include <string.h>

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

void lab_report_text(const struct lab *l, FILE *f)
{
	const struct lab_pair *p;
	size_t i;

	fprintf(f, "\nlanwire lab %s (seed %s): %s\n\n", l->sc->name,
		l->sc->seed, l->sc->about);
	fprintf(f, "%-10s %-10s %-16s %-8s %-8s %8s  %-16s %s\n", "FROM", "TO",
		"ADDRESS", "EXPECTED", "OBSERVED", "RTT ms", "SOURCE SEEN",
		"RESULT");
	for (i = 0; i < l->n_pairs; i++) {
		p = &l->pairs[i];
		fprintf(f, "%-10s %-10s %-16s %-8s %-8s ", l->hosts[p->from].name,
			l->hosts[p->to].name, l->hosts[p->to].addr,
			allow(p->expect), allow(p->seen_ok));
		if (p->seen_ok)
			fprintf(f, "%8.2f  %-16s ", p->rtt_ms, p->seen_source);
		else
			fprintf(f, "%8s  %-16s ", "-", p->error);
		fprintf(f, "%s\n", p->ok ? "OK" : "MISMATCH");
	}
	for (i = 0; i < l->n_routes; i++)
		fprintf(f, "\nroute %s -> %s: dev %s (expected %s) %s",
			l->routes[i].host, l->routes[i].dst, l->routes[i].dev,
			l->routes[i].expect_dev,
			l->routes[i].ok ? "OK" : "MISMATCH");
	if (l->n_routes)
		fputc('\n', f);
	if (l->iperf_mbit >= 0)
		fprintf(f, "\nthroughput %s -> %s: %.0f Mbit/s (iperf3, TCP, 3 s)\n",
			l->sc->iperf_from, l->sc->iperf_to, l->iperf_mbit);
	else
		fprintf(f, "\nthroughput %s -> %s: %s MISMATCH\n",
			l->sc->iperf_from, l->sc->iperf_to, l->iperf_error);
	fprintf(f, "\n%s: %u as expected, %u mismatched (%.1f s)\n",
		l->sc->name, l->passed, l->failed, l->seconds);
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

static void json_hosts(const struct lab *l, FILE *f)
{
	const struct lab_host *h;
	size_t i;

	fputs("  \"hosts\": [\n", f);
	for (i = 0; i < l->n_hosts; i++) {
		h = &l->hosts[i];
		fputs("    {\"name\": ", f);
		json_str(f, h->name);
		fprintf(f, ", \"kind\": \"%s\", \"namespace\": ",
			kind_name(h->kind));
		json_str(f, h->ns);
		fputs(", \"address\": ", f);
		json_str(f, h->addr);
		if (h->lan_addr[0]) {
			fputs(", \"lan_address\": ", f);
			json_str(f, h->lan_addr);
		}
		fprintf(f, "}%s\n", i + 1 < l->n_hosts ? "," : "");
	}
	fputs("  ],\n", f);
}

static void json_pairs(const struct lab *l, FILE *f)
{
	const struct lab_pair *p;
	size_t i;

	fputs("  \"pairs\": [\n", f);
	for (i = 0; i < l->n_pairs; i++) {
		p = &l->pairs[i];
		fputs("    {\"from\": ", f);
		json_str(f, l->hosts[p->from].name);
		fputs(", \"to\": ", f);
		json_str(f, l->hosts[p->to].name);
		fputs(", \"address\": ", f);
		json_str(f, l->hosts[p->to].addr);
		fprintf(f, ", \"expected\": \"%s\", \"observed\": \"%s\"",
			allow(p->expect), allow(p->seen_ok));
		if (p->seen_ok) {
			fprintf(f, ", \"rtt_ms\": %.3f, \"source_seen\": ",
				p->rtt_ms);
			json_str(f, p->seen_source);
		} else {
			fputs(", \"error\": ", f);
			json_str(f, p->error);
		}
		fprintf(f, ", \"ok\": %s}%s\n", p->ok ? "true" : "false",
			i + 1 < l->n_pairs ? "," : "");
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
		fputs(", \"destination\": ", f);
		json_str(f, r->dst);
		fputs(", \"expected_dev\": ", f);
		json_str(f, r->expect_dev);
		fputs(", \"dev\": ", f);
		json_str(f, r->dev);
		fprintf(f, ", \"ok\": %s}%s\n", r->ok ? "true" : "false",
			i + 1 < l->n_routes ? "," : "");
	}
	fputs("  ],\n", f);
}

void lab_report_json(const struct lab *l, FILE *f)
{
	fputs("{\n  \"scenario\": ", f);
	json_str(f, l->sc->name);
	fputs(",\n  \"seed\": ", f);
	json_str(f, l->sc->seed);
	fputs(",\n  \"tag\": ", f);
	json_str(f, l->tag);
	fputs(",\n", f);
	json_hosts(l, f);
	json_pairs(l, f);
	json_routes(l, f);
	fputs("  \"throughput\": {\"from\": ", f);
	json_str(f, l->sc->iperf_from);
	fputs(", \"to\": ", f);
	json_str(f, l->sc->iperf_to);
	if (l->iperf_mbit >= 0)
		fprintf(f, ", \"mbit_s\": %.1f}", l->iperf_mbit);
	else
		fputs(", \"mbit_s\": null}", f);
	fprintf(f, ",\n  \"passed\": %u,\n  \"failed\": %u,\n"
		   "  \"seconds\": %.1f,\n  \"ok\": %s\n}\n",
		l->passed, l->failed, l->seconds, l->failed ? "false" : "true");
}
