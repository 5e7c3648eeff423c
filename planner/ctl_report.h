/* SPDX-License-Identifier: MIT */
/*
 * What an agent reports to its hub after applying a state (POST
 * /applied), what serve keeps of it (STORE/reports/NODE.json) and what
 * `lanwire status --store DIR` shows of every node (docs/control.md):
 *
 *   ctl_report.c  the report: built from the interface's UAPI answer,
 *                 written as JSON, and its strict reader
 *   ctl_status.c  the store's index and reports side by side: every
 *                 node's epoch published against applied, when it
 *                 reported, each peer's handshake age; as text or JSON
 *
 * A report as the agent sends it:
 *   {"epoch": N, "peers": [{"public_key": "B64", "handshake_age": S|null,
 *    "endpoint": "HOST:PORT"|"", "rx_bytes": N, "tx_bytes": N}, ...]}
 * handshake_age is seconds before the report (null: never). serve keeps
 * it with "node" and "at_ms" (its clock, ms since the Unix epoch) added;
 * nothing else is accepted in either form.
 *
 * Ownership: struct ctl_report owns its peers (ctl_report_free()); struct
 * ctl_status owns its nodes and their reports (ctl_status_free()).
 */
#ifndef LW_CTL_REPORT_H
#define LW_CTL_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"
#include "status.h"

/* The largest report anyone accepts (a hub with thousands of peers fits:
 * about 170 bytes a peer). */
#define CTL_MAX_REPORT (1u << 20)
#define CTL_MAX_REPORT_PEERS 5000
#define CTL_ENDPOINT_MAX 64

struct ctl_report_peer {
	uint8_t public_key[LW_KEY_LEN];
	int64_t handshake_age; /* seconds before the report; -1: never */
	char endpoint[CTL_ENDPOINT_MAX];
	uint64_t rx_bytes, tx_bytes;
};

struct ctl_report {
	uint64_t epoch;
	struct ctl_report_peer *peers;
	size_t n_peers;
	/* only in a kept report (serve's) */
	char node[LW_NAME_MAX + 1];
	uint64_t at_ms;
};

/* The report of epoch from an interface's UAPI answer at now (seconds
 * since the Unix epoch). 0 or -ENOMEM. */
int ctl_report_from_status(struct ctl_report *r, uint64_t epoch,
			   const struct lw_wg_status *st, uint64_t now);
/* The agent's report of epoch as text (caller frees): the peers of
 * interface iface as its UAPI socket tells them (none if it does not
 * answer). NULL: no memory. */
char *ctl_report_text(uint64_t epoch, const char *iface, uint64_t now);
/* The report as JSON (caller's reference); with node and at_ms when kept
 * (serve's form). NULL: no memory. */
json_t *ctl_report_json(const struct ctl_report *r, bool kept);
/* One peer of it as JSON (caller's reference); NULL: no memory. */
json_t *ctl_report_peer_json(const struct ctl_report_peer *p);
/*
 * Reads len bytes of a report: the agent's form (kept false) or serve's
 * (kept true). Refused (-EMSGSIZE over CTL_MAX_REPORT, else -EBADMSG):
 * anything but a JSON object with exactly the fields above, of their
 * types and ranges (epoch >= 1, counters >= 0, ages >= 0 or null, keys
 * of 32 bytes in canonical base64, endpoints under CTL_ENDPOINT_MAX
 * bytes without control characters, at most CTL_MAX_REPORT_PEERS peers,
 * no key twice, a node name as the description allows). r untouched
 * unless 0; a message in err.
 */
int ctl_report_parse(struct ctl_report *r, const char *text, size_t len,
		     bool kept, char *err, size_t errlen);
void ctl_report_free(struct ctl_report *r);

/* ---- ctl_status.c ---- */

struct ctl_status_node {
	char name[LW_NAME_MAX + 1];
	uint64_t published;  /* the epoch of its envelope in the store */
	bool reported;
	struct ctl_report report;
	char problem[192]; /* a report that could not be read: why */
};

struct ctl_status {
	char network[LW_NAME_MAX + 1];
	uint64_t epoch; /* the store's */
	struct ctl_status_node *nodes;
	size_t n_nodes;
};

/* Reads STORE/index.json and STORE/reports/NODE.json of each node in it.
 * A missing report is "not reported"; an unreadable one is named in the
 * node's problem. 0, or -errno with a message in err (no index). */
int ctl_status_load(struct ctl_status *s, const char *store, char *err,
		    size_t errlen);
void ctl_status_free(struct ctl_status *s);
/* Names a peer's key (a node of the description), or NULL. */
typedef const char *(*ctl_peer_namer)(const uint8_t key[LW_KEY_LEN],
				      void *arg);
/* One block per node, now in ms since the Unix epoch. */
void ctl_status_print(FILE *f, const struct ctl_status *s,
		      ctl_peer_namer name, void *arg, uint64_t now_ms);
/* {"network", "epoch", "nodes": [{"node", "published_epoch",
 *  "applied_epoch", "up_to_date", "reported_at_ms", "report_age_ms",
 *  "problem", "peers": [{"node", "public_key", "handshake_age",
 *  "endpoint", "rx_bytes", "tx_bytes"}]}]}; NULL: no memory. */
json_t *ctl_status_json(const struct ctl_status *s, ctl_peer_namer name,
			void *arg, uint64_t now_ms);

#endif
