// SPDX-License-Identifier: MIT
/*
 * The lab's network (lab.h): namespaces and veth links for one seed
 * network, drawn for seed 000:
 *
 *   b --+                                                       +-- d
 *       br0 lan.LAN1 --- a --- nat.a ---+           +--- nat.c --- c --- br0 lan.LAN2
 *       192.168.201.1     100.64.1.0/24 |  br0      | 100.64.2.0/24    192.168.200.1
 *                                       +- net.inet +
 *                                   203.0.113.0/24  |
 *                                       z 203.0.113.1    clients 203.0.113.101..
 *
 * net.inet is the "internet": one bridge on 203.0.113.0/24 (documentation
 * space) and no route anywhere else. Each gateway sits behind carrier NAT
 * (nat.GW masquerades out of its wan), so it has no public address, as in
 * seed 000. Each site's LAN is a router namespace (lan.SITE) holding the
 * LAN's bridge and the router's address, .1; the gateway is on it with its
 * lan-address (else .2) on its lan-interface, LAN devices with their
 * default route via the router. The router gets the routes of the
 * gateway's lan-router.txt later, when the gateway is planned (lab.c).
 * Clients sit on the internet directly; seed 001's on-site laptop has a
 * second link into its site's LAN.
 */
#include "lab.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "desc.h"
#include "proc.h"

#define INET_NET "203.0.113."

void lab_ns_name(const struct lab *l, char *out, size_t size,
		 const char *part)
{
	snprintf(out, size, "%s%s-%s", LAB_NS_PREFIX, l->tag, part);
}

void lab_progress(struct lab *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("lab: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	if (l->log != stderr) {
		va_start(ap, fmt);
		fputs("== ", l->log);
		vfprintf(l->log, fmt, ap);
		fputc('\n', l->log);
		va_end(ap);
		fflush(l->log);
	}
}

int lab_cmd(struct lab *l, const char *ns, const char *const argv[])
{
	struct lw_cmd c = { ns, NULL, l->log, fileno(l->log), NULL };
	int r = proc_run(&c, argv);

	if (r)
		fprintf(l->log, "[!] exit status %d\n", r);
	return r;
}

static int cmd_input(struct lab *l, const char *ns, const char *input,
		     const char *const argv[])
{
	struct lw_cmd c = { ns, NULL, l->log, fileno(l->log), input };

	return proc_run(&c, argv);
}

/* ip -n NS ARGS... */
static int ipn(struct lab *l, const char *ns, ...)
{
	const char *argv[16] = { "ip" };
	size_t n = 1;
	va_list ap;

	va_start(ap, ns);
	while (n < 15 && (argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	return lab_cmd(l, ns, argv);
}

static int add_ns(struct lab *l, const char *part, char *name, size_t size)
{
	const char *add[] = { "ip", "netns", "add", name, NULL };

	if (l->n_ns == LAB_MAX_NS)
		return -1;
	lab_ns_name(l, name, size, part);
	if (lab_cmd(l, NULL, add))
		return -1;
	snprintf(l->ns[l->n_ns++], sizeof(l->ns[0]), "%s", name);
	return ipn(l, name, "link", "set", "lo", "up", NULL) ? -1 : 0;
}

/* A veth pair from if1 in ns1 to if2 in ns2, both up. */
static int link_pair(struct lab *l, const char *ns1, const char *if1,
		     const char *ns2, const char *if2)
{
	const char *add[] = { "ip", "link", "add", if1, "type", "veth",
			      "peer", "name", if2, "netns", ns2, NULL };

	if (lab_cmd(l, ns1, add) ||
	    ipn(l, ns1, "link", "set", if1, "up", NULL) ||
	    ipn(l, ns2, "link", "set", if2, "up", NULL))
		return -1;
	return 0;
}

/* As link_pair, with if2 a port of ns2's br0. */
static int link_bridge(struct lab *l, const char *ns1, const char *if1,
		       const char *ns2, const char *if2)
{
	if (link_pair(l, ns1, if1, ns2, if2))
		return -1;
	return ipn(l, ns2, "link", "set", if2, "master", "br0", NULL) ? -1 : 0;
}

static int make_bridge(struct lab *l, const char *ns)
{
	if (ipn(l, ns, "link", "add", "br0", "type", "bridge", NULL) ||
	    ipn(l, ns, "link", "set", "br0", "up", NULL))
		return -1;
	return 0;
}

static int forward_on(struct lab *l, const char *ns)
{
	const char *argv[] = { "sysctl", "-q", "-w", "net.ipv4.ip_forward=1",
			       NULL };

	return lab_cmd(l, ns, argv) ? -1 : 0;
}

static int addr_add(struct lab *l, const char *ns, const char *addr,
		    const char *dev)
{
	return ipn(l, ns, "addr", "add", addr, "dev", dev, NULL) ? -1 : 0;
}

/* Host n of an IPv4 prefix, "a.b.c.n/len" (or the bare address). */
static void lan_host(char *out, size_t size, const struct lw_prefix *p,
		     unsigned int n, bool with_len)
{
	uint32_t a;
	char text[INET_ADDRSTRLEN];

	memcpy(&a, p->addr, 4);
	a = htonl(ntohl(a) + n);
	inet_ntop(AF_INET, &a, text, sizeof(text));
	if (with_len)
		snprintf(out, size, "%s/%u", text, p->len);
	else
		snprintf(out, size, "%s", text);
}

static struct lab_host *add_host(struct lab *l, const char *name,
				 const char *ns, enum lab_kind kind,
				 size_t party)
{
	struct lab_host *h;

	if (l->n_hosts == LAB_MAX_HOSTS)
		return NULL;
	h = &l->hosts[l->n_hosts++];
	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%s", name);
	snprintf(h->ns, sizeof(h->ns), "%s", ns);
	h->kind = kind;
	h->party = party;
	return h;
}

static void tunnel_addr(const struct lab *l, size_t node, char *out,
			size_t size)
{
	addr_format(out, size, &l->d->nodes[node].addr[0].p);
}

/* The public segment and the hubs on it. */
static int build_inet(struct lab *l, unsigned int *port)
{
	char inet[96], ns[96], p[16], a[32];
	size_t i, k = 0;
	struct lab_host *h;

	if (add_ns(l, "net.inet", inet, sizeof(inet)) || make_bridge(l, inet))
		return -1;
	for (i = 0; i < l->d->n_nodes; i++) {
		if (l->d->nodes[i].role != LW_ROLE_HUB)
			continue;
		snprintf(p, sizeof(p), "p%u", (*port)++);
		snprintf(a, sizeof(a), INET_NET "%zu/24", 1 + k++);
		if (add_ns(l, l->d->nodes[i].name, ns, sizeof(ns)) ||
		    link_bridge(l, ns, "wan", inet, p) ||
		    addr_add(l, ns, a, "wan"))
			return -1;
		h = add_host(l, l->d->nodes[i].name, ns, LAB_HUB, i);
		if (!h)
			return -1;
		tunnel_addr(l, i, h->addr, sizeof(h->addr));
	}
	return 0;
}

static int nat_rules(struct lab *l, const char *ns)
{
	static const char rules[] =
		"table ip lwlab_nat {\n"
		"\tchain postrouting {\n"
		"\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
		"\t\toifname \"wan\" masquerade\n"
		"\t}\n"
		"}\n";
	const char *argv[] = { "nft", "-f", "-", NULL };

	return cmd_input(l, ns, rules, argv) ? -1 : 0;
}

/* Gateway gw of site k behind its carrier NAT. */
static int build_gateway_uplink(struct lab *l, size_t gw, size_t k,
				unsigned int *port, const char *gwns)
{
	char inet[96], nat[96], part[64], p[16], a[48], via[48];

	lab_ns_name(l, inet, sizeof(inet), "net.inet");
	snprintf(part, sizeof(part), "nat.%s", l->d->nodes[gw].name);
	snprintf(p, sizeof(p), "p%u", (*port)++);
	snprintf(a, sizeof(a), INET_NET "%zu/24", 50 + k);
	if (add_ns(l, part, nat, sizeof(nat)) ||
	    link_bridge(l, nat, "wan", inet, p) || addr_add(l, nat, a, "wan") ||
	    link_pair(l, nat, "lan", gwns, "wan"))
		return -1;
	snprintf(a, sizeof(a), "100.64.%zu.1/24", k + 1);
	snprintf(via, sizeof(via), "100.64.%zu.1", k + 1);
	if (addr_add(l, nat, a, "lan") || forward_on(l, nat) ||
	    nat_rules(l, nat))
		return -1;
	snprintf(a, sizeof(a), "100.64.%zu.2/24", k + 1);
	if (addr_add(l, gwns, a, "wan") ||
	    ipn(l, gwns, "route", "add", "default", "via", via, NULL))
		return -1;
	return 0;
}

/* Site k: its LAN router namespace and its gateway on that LAN. */
static int build_site(struct lab *l, size_t k, unsigned int *port)
{
	const struct lw_site *s = &l->d->sites[k];
	const struct lw_prefix *lan = &s->lans[0].p;
	const char *lanif = s->lan_iface[0] ? s->lan_iface : "eth0";
	char gwns[96], rns[96], part[64], a[LW_PREFIX_STRLEN + 8];
	struct lab_host *h;

	if (add_ns(l, l->d->nodes[s->gateway].name, gwns, sizeof(gwns)) ||
	    build_gateway_uplink(l, s->gateway, k, port, gwns))
		return -1;
	snprintf(part, sizeof(part), "lan.%s", s->name);
	lan_host(a, sizeof(a), lan, 1, true);
	if (add_ns(l, part, rns, sizeof(rns)) || make_bridge(l, rns) ||
	    addr_add(l, rns, a, "br0") || forward_on(l, rns) ||
	    link_bridge(l, gwns, lanif, rns, "gw"))
		return -1;
	h = add_host(l, l->d->nodes[s->gateway].name, gwns, LAB_GATEWAY,
		     s->gateway);
	if (!h)
		return -1;
	tunnel_addr(l, s->gateway, h->addr, sizeof(h->addr));
	if (s->lan_address.p.family)
		addr_format(h->lan_addr, sizeof(h->lan_addr), &s->lan_address.p);
	else
		lan_host(h->lan_addr, sizeof(h->lan_addr), lan, 2, false);
	snprintf(a, sizeof(a), "%s/%u", h->lan_addr, lan->len);
	return addr_add(l, gwns, a, lanif);
}

static int build_device(struct lab *l, const struct lab_device *dev,
			unsigned int *port)
{
	ssize_t site = desc_find_site(l->d, dev->site);
	char ns[96], rns[96], part[64], p[16], a[64], via[LW_PREFIX_STRLEN];
	const struct lw_prefix *lan;
	struct lab_host *h;

	if (site < 0)
		return -1;
	lan = &l->d->sites[site].lans[0].p;
	snprintf(part, sizeof(part), "lan.%s", dev->site);
	lab_ns_name(l, rns, sizeof(rns), part);
	snprintf(p, sizeof(p), "d%u", (*port)++);
	snprintf(a, sizeof(a), "%s/%u", dev->addr, lan->len);
	lan_host(via, sizeof(via), lan, 1, false);
	if (add_ns(l, dev->name, ns, sizeof(ns)) ||
	    link_bridge(l, ns, "eth0", rns, p) || addr_add(l, ns, a, "eth0") ||
	    ipn(l, ns, "route", "add", "default", "via", via, NULL))
		return -1;
	h = add_host(l, dev->name, ns, LAB_DEVICE,
		     l->d->sites[site].gateway);
	if (!h)
		return -1;
	snprintf(h->addr, sizeof(h->addr), "%s", dev->addr);
	return 0;
}

/* Seed 001's laptop on site: a second link into the site's LAN. */
static int build_onsite(struct lab *l, const char *ns, unsigned int *port)
{
	const struct lab_scenario *sc = l->sc;
	ssize_t site = desc_find_site(l->d, sc->onsite_site);
	char rns[96], part[64], p[16], a[64];

	if (site < 0)
		return -1;
	snprintf(part, sizeof(part), "lan.%s", sc->onsite_site);
	lab_ns_name(l, rns, sizeof(rns), part);
	snprintf(p, sizeof(p), "o%u", (*port)++);
	snprintf(a, sizeof(a), "%s/%u", sc->onsite_addr,
		 l->d->sites[site].lans[0].p.len);
	if (link_bridge(l, ns, "eth1", rns, p) || addr_add(l, ns, a, "eth1"))
		return -1;
	return 0;
}

static int build_clients(struct lab *l, unsigned int *port)
{
	char inet[96], ns[96], p[16], a[32];
	size_t i, k = 0;
	struct lab_host *h;

	lab_ns_name(l, inet, sizeof(inet), "net.inet");
	for (i = 0; i < l->d->n_nodes; i++) {
		if (l->d->nodes[i].role != LW_ROLE_CLIENT)
			continue;
		snprintf(p, sizeof(p), "p%u", (*port)++);
		snprintf(a, sizeof(a), INET_NET "%zu/24", 101 + k++);
		if (add_ns(l, l->d->nodes[i].name, ns, sizeof(ns)) ||
		    link_bridge(l, ns, "wan", inet, p) ||
		    addr_add(l, ns, a, "wan"))
			return -1;
		if (l->sc->onsite_client &&
		    !strcmp(l->sc->onsite_client, l->d->nodes[i].name) &&
		    build_onsite(l, ns, port))
			return -1;
		h = add_host(l, l->d->nodes[i].name, ns, LAB_CLIENT, i);
		if (!h)
			return -1;
		tunnel_addr(l, i, h->addr, sizeof(h->addr));
	}
	return 0;
}

int lab_net_build(struct lab *l)
{
	unsigned int port = 0;
	size_t k;

	if (build_inet(l, &port))
		return -1;
	for (k = 0; k < l->d->n_sites; k++) {
		if (build_site(l, k, &port))
			return -1;
	}
	for (k = 0; l->sc->devices[k].name; k++) {
		if (build_device(l, &l->sc->devices[k], &port))
			return -1;
	}
	return build_clients(l, &port);
}
