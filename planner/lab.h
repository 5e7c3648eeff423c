/* SPDX-License-Identifier: MIT */
/*
 * lanwire lab: a seed network built on this machine in network
 * namespaces, configured by lanwire itself, brought up with lanwired,
 * and probed. Split by concern:
 *
 *   lab.c        scenarios, the run from description to report, cleanup
 *   lab_net.c    namespaces and links: the "internet" (a bridge on
 *                203.0.113.0/24, documentation space), carrier NAT in
 *                front of each gateway, each site's LAN (a router
 *                namespace holding the LAN's bridge), LAN devices, clients
 *   lab_probe.c  TCP listeners and connects in namespaces (setns), route
 *                checks, iperf3
 *   lab_report.c the reachability table, as text or JSON
 *
 * Every address a probe or the tunnel targets lives in a namespace the
 * lab made: the hubs' public endpoints are replaced with 203.0.113.x.
 *
 * Ownership: struct lab is made and freed by lab_run() (lab.c); the other
 * files fill or read it.
 */
#ifndef LW_LAB_H
#define LW_LAB_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "addr.h"
#include "model.h"

#define LAB_NS_PREFIX "lwlab-"
#define LAB_PROBE_PORT 7171
#define LAB_PROBE_TIMEOUT_MS 2000
#define LAB_MAX_HOSTS 32
#define LAB_MAX_NS 64
#define LAB_MAX_PAIRS (LAB_MAX_HOSTS * LAB_MAX_HOSTS)

/* A plain LAN device: no WireGuard, only a route (via its LAN router). */
struct lab_device {
	const char *name, *site, *addr;
};

struct lab_scenario {
	const char *name;
	const char *seed;
	const char *example; /* embedded examples/NAME.conf */
	const char *extra;   /* appended to it for the lab, or NULL */
	const char *about;
	struct lab_device devices[4]; /* name NULL ends */
	/* A client also attached to a site's LAN (seed 001's on-site
	 * laptop), or NULL. */
	const char *onsite_client, *onsite_site, *onsite_addr;
	const char *iperf_from, *iperf_to;
};

enum lab_kind { LAB_HUB, LAB_GATEWAY, LAB_CLIENT, LAB_DEVICE };

/* A probe endpoint: a tunnel node or a LAN device. */
struct lab_host {
	char name[LW_NAME_MAX + 1];
	char ns[96];
	enum lab_kind kind;
	size_t party;		     /* node whose policy stands for it */
	char addr[LW_PREFIX_STRLEN]; /* what others connect to */
	char lan_addr[LW_PREFIX_STRLEN]; /* gateways: on their LAN */
	pid_t listener;
};

struct lab_pair {
	size_t from, to; /* into lab.hosts */
	bool expect, seen_ok;
	double rtt_ms;
	char seen_source[LW_PREFIX_STRLEN]; /* as the far end saw us */
	char error[48];
	bool ok;
};

struct lab_route {
	char host[LW_NAME_MAX + 1];
	char dst[LW_PREFIX_STRLEN];
	char expect_dev[20], dev[20];
	bool ok;
};

struct lab {
	const struct lab_scenario *sc;
	bool json, verbose;
	char tag[8];
	char dir[256];	    /* temporary: keys, run files, log */
	char daemon[4096];
	FILE *log;	    /* commands and their output */
	struct lw_desc *d;
	struct lw_keyring *kr;
	char ns[LAB_MAX_NS][96]; /* made, deleted at cleanup */
	size_t n_ns;
	bool *up; /* per node: brought up */
	struct lab_host hosts[LAB_MAX_HOSTS];
	size_t n_hosts;
	struct lab_pair pairs[LAB_MAX_PAIRS];
	size_t n_pairs;
	struct lab_route routes[4];
	size_t n_routes;
	double iperf_mbit; /* < 0: not measured */
	char iperf_error[64];
	unsigned int passed, failed;
	double seconds;
};

const struct lab_scenario *lab_find_scenario(const char *name);
const char *lab_scenario_names(void);
/* Runs a scenario; the exit status for the command. */
int lab_run(const struct lab_scenario *sc, const char *daemon, bool json,
	    bool verbose);

/* lab_net.c: 0 or -1 (reason logged). */
int lab_net_build(struct lab *l);
/* Namespace name of a part: "lwlab-TAG-PART". */
void lab_ns_name(const struct lab *l, char *out, size_t size,
		 const char *part);
/* Runs argv in namespace ns, echoed to the lab log. Exit status. */
int lab_cmd(struct lab *l, const char *ns, const char *const argv[]);
void lab_progress(struct lab *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* lab_probe.c */
int lab_listen(struct lab *l, struct lab_host *h);
void lab_probe_all(struct lab *l);
void lab_check_routes(struct lab *l);
void lab_iperf(struct lab *l);

/* lab_report.c */
void lab_report_text(const struct lab *l, FILE *f);
void lab_report_json(const struct lab *l, FILE *f);

/* The embedded examples/NAME.conf (generated from examples/), or NULL. */
const char *lab_example_text(const char *name);

#endif
