/* SPDX-License-Identifier: MIT */
/*
 * lanwire lab: any description built on this machine in network
 * namespaces, brought up with lanwire's own up path (lanwired as an
 * unprivileged user), and probed against the matrix its policy implies.
 * Split by concern:
 *
 *   lab.c        the run from description to report, cleanup
 *   lab_seed.c   the built-in scenarios (seed networks and examples)
 *   lab_desc.c   the lab copy of the description: an overlay on its text
 *                (interface names, the hubs' lab endpoints, lab keys),
 *                every changed line marked "# lab"; parsed and checked
 *   lab_net.c    namespaces and links: the "internet" (a bridge on
 *                203.0.113.0/24, documentation space), carrier NAT in
 *                front of each gateway and of the clients, each site's
 *                LAN (a router namespace holding the LAN's bridge), one
 *                test host per site LAN and per named host
 *   lab_up.c     keys, every node up (apply.c, as lanwire up), LAN router
 *                routes, handshakes, the tampered clients
 *   lab_matrix.c what to probe: every source to every address on every
 *                protocol and port, expected by policy_path_allows()
 *   lab_probe.c  the probe services and TCP/UDP/ICMP probes in namespaces
 *                (setns), route checks, iperf3
 *   lab_report.c the reachability table and per-group matrix, text or JSON
 *   lab_live.c   lab live: the control plane measured (issue 12)
 *   lab_overlay.c overlay descriptions (several hubs, [link]s, BIRD):
 *                namespaces, a holder with a private /var/run/wireguard
 *                per router, lanwire up on each, cleanup by pid; then one
 *                of lab_ha.c, lab_direct.c, lab_asym.c measures (issue 11)
 *
 * Every address a probe or the tunnel targets lives in a namespace the
 * lab made. Nothing writes into struct lw_desc after parsing: lab-only
 * changes are made to the description text before it is parsed.
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
#include "policy_path.h"

#define LAB_NS_PREFIX "lwlab-"
#define LAB_PROBE_PORT 7171 /* listed by no policy: must follow "all" */
#define LAB_PROBE_TIMEOUT_MS 1500
#define LAB_MAX_HOSTS 48
#define LAB_MAX_NS 96
#define LAB_MAX_ADDRS 6
#define LAB_MAX_QUESTIONS 24
/* Clients brought up per (group, os): enough to show a group's policy. */
#define LAB_CLIENTS_PER_GROUP 2

struct lab;

/* A plain LAN device of a seed scenario: no WireGuard, only a route. */
struct lab_device {
	const char *name, *site, *addr;
};

/* A scenario: a description (embedded example or a file's text) and,
 * for the seed networks, their named devices and extra checks. */
struct lab_scenario {
	const char *name;
	const char *seed;    /* "000".., or NULL */
	const char *example; /* embedded examples/NAME.conf, or NULL */
	const char *path;    /* -f FILE, or NULL */
	const char *extra;   /* appended to the text for the lab, or NULL */
	const char *about;
	struct lab_device devices[4]; /* name NULL ends; none: generated */
	/* A client also attached to a site's LAN (seed 001's on-site
	 * laptop), or NULL. */
	const char *onsite_client, *onsite_site, *onsite_addr;
	const char *iperf_from, *iperf_to; /* NULL: no throughput */
	/* lab live (lab_live.c): the client lab_up leaves down, to join
	 * later; NULL for every other scenario (the matrix runs). */
	const char *join_client;
	/* Overlay scenarios (lab_overlay.c): the measurement run after every
	 * router is up, and its report; NULL for every other scenario. */
	int (*overlay)(struct lab *l);
	void (*overlay_report)(const struct lab *l, bool json, FILE *f);
};

/* The figures of lab live (issue 12), -1: not measured. */
struct lab_live {
	long long join_ms, revoke_ms, change_ms, rotate_lost_pings;
	bool sessions_kept, done;
	char error[96];
};

/* An overlay run (lab_overlay.c): this binary, the ping source's namespace
 * part and the two test hosts' addresses (sites 0 and 1), and the
 * figures the scenarios report (-1: not measured; see lab_direct.c,
 * lab_ha.c, lab_asym.c for their meaning). */
struct lab_ov {
	char self[4096];
	char h1[24], h1addr[LW_PREFIX_STRLEN], h2addr[LW_PREFIX_STRLEN];
	long long failover_ms, failback_ms, fo_kill, fo_udp, fb_kill, fb_udp;
	long long flaps, route_changes, restart_ms, restart_link_ms;
	bool direct_path, transfer_intact, no_plaintext, via_b, not_via_b;
};

enum lab_kind { LAB_HUB, LAB_GATEWAY, LAB_CLIENT, LAB_DEVICE };

/* One address a host answers on, and who it is to the policy. */
struct lab_addr {
	char text[LW_PREFIX_STRLEN];
	const char *target; /* "tunnel", "lan" (a gateway's), "host" */
	struct lw_pep ep;
};

/* A probe endpoint: a tunnel node or a LAN device. */
struct lab_host {
	char name[LW_NAME_MAX * 2 + 2];
	char ns[128];
	enum lab_kind kind;
	size_t party; /* node whose policy stands for it */
	char group[LW_NAME_MAX + 1]; /* for the matrix: group or kind */
	struct lab_addr addrs[LAB_MAX_ADDRS];
	size_t n_addrs;
	pid_t listener;
};

enum lab_tamper { LAB_TAMPER_NONE, LAB_TAMPER_WIDENED, LAB_TAMPER_SPOOFED };

/* One probe: from a host (from a source address) to one address. */
struct lab_pair {
	size_t from, to, to_addr; /* into lab.hosts, its addrs */
	enum lw_proto proto;
	uint16_t port; /* 0 for icmp */
	enum lab_tamper tamper;
	char source[LW_PREFIX_STRLEN]; /* the address it sends from */
	bool expect, seen_ok;
	double rtt_ms;
	char seen_source[LW_PREFIX_STRLEN]; /* as the far end saw us */
	char error[32];
	bool ok;
};

struct lab_route {
	char host[LW_NAME_MAX * 2 + 2];
	char dst[LW_PREFIX_STRLEN];
	char expect_dev[20], dev[20];
	bool ok;
};

struct lab_question {
	enum lw_proto proto;
	uint16_t port;
};

struct lab {
	const struct lab_scenario *sc;
	bool json, verbose;
	char tag[8];
	char dir[256];	    /* temporary: keys, run files, log */
	char daemon[4096];
	const char *user;   /* lanwired drops to it */
	FILE *log;	    /* commands and their output */
	char *text;	    /* the lab copy of the description */
	struct lw_desc *d;
	struct lw_keyring *kr;
	char ns[LAB_MAX_NS][128]; /* made, deleted at cleanup */
	size_t n_ns;
	bool *up; /* per node: given a namespace and brought up */
	struct lab_host hosts[LAB_MAX_HOSTS];
	size_t n_hosts;
	struct lab_question q[LAB_MAX_QUESTIONS];
	size_t n_q;
	struct lab_pair *pairs;
	size_t n_pairs, cap_pairs;
	/* tampered clients (hosts index, or SIZE_MAX) and who is spoofed */
	size_t widened, spoofer, spoofed;
	struct lab_route routes[4];
	size_t n_routes;
	double iperf_mbit; /* < 0: not measured */
	char iperf_error[64];
	unsigned int passed, failed;
	double seconds;
	struct lab_live live;
	struct lab_ov ov;
};

/* lab_seed.c */
const struct lab_scenario *lab_find_scenario(const char *name);
const char *lab_scenario_names(void);

/* lab.c: runs a scenario; the exit status for the command. */
int lab_run(const struct lab_scenario *sc, const char *daemon,
	    const char *user, bool json, bool verbose);
void lab_sleep_ms(int ms);

/* lab_desc.c: the lab copy, parsed into l->d and checked. 0 or -1. */
int lab_describe(struct lab *l);

/* lab_net.c: 0 or -1 (reason logged). */
int lab_net_build(struct lab *l);
struct lab_host *lab_host_of_node(struct lab *l, size_t node);

/* lab_cmd.c */
/* Namespace name of a part: "lwlab-TAG-PART". */
void lab_ns_name(const struct lab *l, char *out, size_t size,
		 const char *part);
/* Runs argv in namespace ns, echoed to the lab log. Exit status. */
int lab_cmd(struct lab *l, const char *ns, const char *const argv[]);
/* ip -n NS ARGS... (NULL-terminated). */
int lab_ip(struct lab *l, const char *ns, ...);
/* As lab_cmd, with input on its standard input (no exit-status line). */
int lab_cmd_input(struct lab *l, const char *ns, const char *input,
		  const char *const argv[]);
void lab_progress(struct lab *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* lab_up.c */
int lab_keys(struct lab *l);
int lab_up(struct lab *l);
int lab_wait_handshakes(struct lab *l);
int lab_tamper(struct lab *l);

/* lab_matrix.c */
int lab_pairs(struct lab *l, enum lab_tamper tamper);

/* lab_probe.c */
int lab_listen(struct lab *l, struct lab_host *h);
/* Probes pairs [from, n_pairs). */
void lab_probe_all(struct lab *l, size_t from);
void lab_check_routes(struct lab *l);
void lab_iperf(struct lab *l);

/* lab_live.c: the live steps after lab_up; 0 or -1. */
int lab_live(struct lab *l);
void lab_live_report(const struct lab *l, bool json, FILE *f);

/* lab_overlay.c: the overlay run after lab_start; 0 or -1. Shell steps
 * with the helpers of its preamble (exit status); numbers and lines from
 * files in the lab's directory; PASS/FAIL lines counted in l. */
int lab_ov_run(struct lab *l);
void lab_ov_cleanup(struct lab *l);
int lab_ov_sh(struct lab *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* As lab_ov_sh, body taken as is, with the overlay's names set: A and C
 * (sites 0's and 1's gateways), HUBS, LAN2, NETS, Z1 (the preferred hub),
 * Z1WAN, Z1IF, and the functions of lab_overlay.c's OV_STEP_FUNCS. */
int lab_ov_step(struct lab *l, const char *body);
long long lab_ov_num(struct lab *l, const char *name, long long def);
void lab_ov_line(struct lab *l, const char *name, char *out, size_t size);
void lab_ov_check(struct lab *l, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int lab_ov_transfer_start(struct lab *l);
bool lab_ov_transfer_stop(struct lab *l);
/* Every hub's internet side captured until lab_ov_no_plaintext(), which
 * stops every background process and says whether packets were seen and
 * none of them to or from a LAN. */
int lab_ov_capture_wan(struct lab *l);
bool lab_ov_no_plaintext(struct lab *l);

/* lab_direct.c */
int lab_direct(struct lab *l);
void lab_direct_report(const struct lab *l, bool json, FILE *f);

/* lab_ha.c */
int lab_ha(struct lab *l);
void lab_ha_report(const struct lab *l, bool json, FILE *f);

/* lab_asym.c */
int lab_asym(struct lab *l);
void lab_asym_report(const struct lab *l, bool json, FILE *f);

/* lab_report.c */
void lab_report_text(const struct lab *l, FILE *f);
void lab_report_json(const struct lab *l, FILE *f);
const char *lab_tamper_name(enum lab_tamper t);

/* The embedded examples/NAME.conf (generated from examples/), or NULL. */
const char *lab_example_text(const char *name);

#endif
