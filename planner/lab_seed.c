// SPDX-License-Identifier: MIT
/*
 * The lab's built-in scenarios (lab.h): the seed networks 000-002 and the
 * bigger examples, each an embedded examples/NAME.conf run through the
 * same path as `lanwire -f FILE lab`. The seeds keep the LAN devices
 * their posts name (so their reports stay comparable) and an iperf3 run;
 * the examples get one generated test host per LAN and per named host.
 */
#include "lab.h"

#include <string.h>

static const struct lab_scenario scenarios[] = {
	{ "leased-line", "000", "leased-line", NULL, NULL,
	  "two office LANs joined through a public hub, sources not NATed",
	  { { "b", "LAN1", "192.168.201.55" },
	    { "d", "LAN2", "192.168.200.244" } },
	  NULL, NULL, NULL, "b", "d", NULL, NULL, NULL },
	{ "remote-dev", "001", "remote-dev", NULL,
	  "# lab: a client that no rule names, routing the LANs anyway; the\n"
	  "# lab: hub and the gateways must refuse it\n"
	  "[client guest]   # lab\n"
	  "routes = 10.70.0.0/16, 192.168.0.0/16   # lab\n",
	  "developers reach both LANs and each other; LAN2 masquerades; "
	  "f is on site in LAN1",
	  { { "b", "LAN1", "192.168.201.55" },
	    { "d", "LAN2", "192.168.200.244" } },
	  "f", "LAN1", "192.168.201.60", "e", "d", NULL, NULL, NULL },
	{ "star", "002", "star", NULL, NULL,
	  "mobiles reach home and office; home and office isolated",
	  { { "nas", "homelab", "192.168.1.10" },
	    { "desk", "office", "172.19.50.10" } },
	  NULL, NULL, NULL, "macbook", "nas", NULL, NULL, NULL },
	{ "hq", NULL, "hq", NULL, NULL,
	  "an HQ and two NATed branches; staff, admins, contractors limited "
	  "to one host and port, a phone",
	  { { NULL } }, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "dualstack", NULL, "dualstack", NULL, NULL,
	  "an office and a branch on an IPv4 and IPv6 tunnel with IPv6 LANs",
	  { { NULL } }, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "live", "000", "leased-line", NULL,
	  "# lab live: two Linux laptops on hub z, the control plane open\n"
	  "allow = laptops -> LAN1   # lab live\n"
	  "allow = LAN1, LAN2, laptops -> z tcp/8471   # lab live\n"
	  "\n[client laptop1]   # lab live\ngroup = laptops   # lab live\n"
	  "address = 10.70.0.30   # lab live\nvisits = none   # lab live\n"
	  "\n[client laptop2]   # lab live\ngroup = laptops   # lab live\n"
	  "address = 10.70.0.31   # lab live\nvisits = none   # lab live\n",
	  "seed 000 plus two laptops: join, change, rotate and revoke live "
	  "(issue 12)",
	  { { "b", "LAN1", "192.168.201.55" },
	    { "d", "LAN2", "192.168.200.244" } },
	  NULL, NULL, NULL, NULL, NULL, "laptop1", NULL, NULL },
	{ "ha", NULL, "ha", NULL, NULL,
	  "two hubs, seed 000's sites and a laptop: the preferred hub "
	  "killed, its UDP dropped, its link flapping (issue 11)",
	  { { NULL } }, NULL, NULL, NULL, NULL, NULL, NULL, lab_ha,
	  lab_ha_report },
	{ "direct", NULL, "direct", NULL, NULL,
	  "two sites with a direct link and a hub: the hub carries LAN "
	  "traffic only while the link is cut (issue 11)",
	  { { NULL } }, NULL, NULL, NULL, NULL, NULL, NULL, lab_direct,
	  lab_direct_report },
	{ "asymmetric", "003", "asymmetric", NULL, NULL,
	  "seed 003 as a description: A -> C through hub B, C -> A on the "
	  "direct link (issue 11)",
	  { { NULL } }, NULL, NULL, NULL, NULL, NULL, NULL, lab_asym,
	  lab_asym_report },
};

#define N_SCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

const struct lab_scenario *lab_find_scenario(const char *name)
{
	size_t i;

	for (i = 0; i < N_SCENARIOS; i++) {
		if (!strcmp(scenarios[i].name, name))
			return &scenarios[i];
	}
	return NULL;
}

const char *lab_scenario_names(void)
{
	return "leased-line (seed 000, default), remote-dev (001), star (002), "
	       "hq, dualstack, live (000 plus laptops: the control plane), "
	       "ha (an overlay: two hubs), direct (an overlay: a direct link "
	       "between sites), asymmetric (003)";
}
