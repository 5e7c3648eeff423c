// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness of the agent's report (planner/ctl_report.c), what an
 * agent POSTs to serve and serve keeps for lanwire status. The first
 * input byte's bit 0 picks the form (0: the agent's, 1: serve's kept
 * one); the rest is the text. Besides the sanitizers' findings it traps
 * when a promise breaks: a refusal that changed the output or gave no
 * message; an accepted report with epoch 0, more than
 * CTL_MAX_REPORT_PEERS peers, a key twice, an age below -1 or an endpoint
 * with a control character; an accepted report that does not write and
 * read back to the same values; the store rendering (text and JSON) of an
 * accepted kept report (to /dev/null).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_report.h"

static FILE *devnull;

static void check_values(const struct ctl_report *r)
{
	size_t i, j, k;

	if (!r->epoch || r->n_peers > CTL_MAX_REPORT_PEERS)
		abort();
	for (i = 0; i < r->n_peers; i++) {
		const struct ctl_report_peer *p = &r->peers[i];

		if (p->handshake_age < -1)
			abort();
		for (k = 0; p->endpoint[k]; k++)
			if ((unsigned char)p->endpoint[k] <= 0x20)
				abort();
		for (j = 0; j < i; j++)
			if (!memcmp(r->peers[j].public_key, p->public_key,
				    LW_KEY_LEN))
				abort();
	}
}

static void round_trip(const struct ctl_report *r, bool kept)
{
	json_t *o = ctl_report_json(r, kept);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL, err[256];
	struct ctl_report back;

	json_decref(o);
	if (!text)
		return;
	if (ctl_report_parse(&back, text, strlen(text), kept, err,
			     sizeof(err)))
		abort();
	if (back.epoch != r->epoch || back.n_peers != r->n_peers ||
	    back.at_ms != r->at_ms || strcmp(back.node, r->node) ||
	    (r->n_peers && memcmp(back.peers, r->peers,
				  r->n_peers * sizeof(*r->peers))))
		abort();
	ctl_report_free(&back);
	free(text);
}

static void render(const struct ctl_report *r)
{
	struct ctl_status_node n = { .published = 3, .reported = true };
	struct ctl_status s = { "net", 3, &n, 1 };
	json_t *o;

	snprintf(n.name, sizeof(n.name), "%s", r->node);
	n.report = *r;
	ctl_status_print(devnull, &s, NULL, NULL, 1700000000000ULL);
	o = ctl_status_json(&s, NULL, NULL, 1700000000000ULL);
	json_decref(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_report r, untouched;
	char err[256] = "";
	bool kept;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (!size)
		return 0;
	kept = data[0] & 1;
	memset(&r, 0x5a, sizeof(r));
	untouched = r;
	if (ctl_report_parse(&r, (const char *)data + 1, size - 1, kept, err,
			     sizeof(err))) {
		if (memcmp(&r, &untouched, sizeof(r)) || !err[0])
			abort();
		return 0;
	}
	check_values(&r);
	round_trip(&r, kept);
	if (kept)
		render(&r);
	ctl_report_free(&r);
	return 0;
}
