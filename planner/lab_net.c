// SPDX-License-Identifier: MIT
/*
 * The lab's network (lab.h): namespaces and veth links for any
 * description, drawn here for one hub, one site and two clients:
 *
 *   dev.SITE --+
 *              br0 lan.SITE --- GW --- nat.GW ---+
 *      router .1 (each LAN)  100.64.K.0/24       |  br0
 *                                                +- net.inet --- HUB 203.0.113.1..
 *   client --+                                   |  203.0.113.0/24
 *            br0 nat.clients 100.64.250.0/24 ----+
 *
 * net.inet is the "internet": one bridge on 203.0.113.0/24 (documentation
 * space) and no route anywhere else. Each gateway sits behind carrier NAT
 * (nat.GW masquerades out of its wan), so it has no public address, and
 * so do the clients (all behind nat.clients). Each site's LAN is a router
 * namespace (lan.SITE) holding the LAN's bridge and a router address in
 * every LAN prefix; the gateway is on it with its lan-address (else host
 * 2 of each LAN) on its lan-interface, and test hosts with their default
 * routes via the router: one per site with an address in each of its
 * LANs (or the seed scenario's named devices) and one per named host =
 * line. The router gets its routes later, when the gateway is up
 * (lab_up.c). Clients beyond LAB_CLIENTS_PER_GROUP of one (group, os)
 * get no namespace: they are neither brought up nor probed.
 */
#include "lab.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "desc.h"
#include "proc.h"

#define INET_NET "203.0.113."
#define CLIENT_NAT "100.64.250."

/* A namespace with lo up, unprivileged ICMP echo sockets allowed (the
 * probes) and no duplicate address detection (addresses usable at once). */
static int add_ns(struct lab *l, const char *part, char *name, size_t size)
{
	const char *add[] = { "ip", "netns", "add", name, NULL };
	const char *sysctl[] = { "sysctl", "-q", "-w",
				 "net.ipv4.ping_group_range=0 2147483647",
				 "net.ipv6.conf.all.accept_dad=0",
				 "net.ipv6.conf.default.accept_dad=0", NULL };

	if (l->n_ns == LAB_MAX_NS) {
		lab_progress(l, "the lab builds at most %d namespaces",
			     LAB_MAX_NS);
		return -1;
	}
	lab_ns_name(l, name, size, part);
	if (lab_cmd(l, NULL, add))
		return -1;
	snprintf(l->ns[l->n_ns++], sizeof(l->ns[0]), "%s", name);
	if (lab_ip(l, name, "link", "set", "lo", "up", NULL) ||
	    lab_cmd(l, name, sysctl))
		return -1;
	return 0;
}

/* A veth pair from if1 in ns1 to if2 in ns2, both up. */
static int link_pair(struct lab *l, const char *ns1, const char *if1,
		     const char *ns2, const char *if2)
{
	const char *add[] = { "ip", "link", "add", if1, "type", "veth",
			      "peer", "name", if2, "netns", ns2, NULL };

	if (lab_cmd(l, ns1, add) ||
	    lab_ip(l, ns1, "link", "set", if1, "up", NULL) ||
	    lab_ip(l, ns2, "link", "set", if2, "up", NULL))
		return -1;
	return 0;
}

/* As link_pair, with if2 a port of ns2's br0. */
static int link_bridge(struct lab *l, const char *ns1, const char *if1,
		       const char *ns2, const char *if2)
{
	if (link_pair(l, ns1, if1, ns2, if2))
		return -1;
	return lab_ip(l, ns2, "link", "set", if2, "master", "br0", NULL) ? -1 :
									  0;
}

static int make_bridge(struct lab *l, const char *ns)
{
	if (lab_ip(l, ns, "link", "add", "br0", "type", "bridge", NULL) ||
	    lab_ip(l, ns, "link", "set", "br0", "up", NULL))
		return -1;
	return 0;
}

static int forward_on(struct lab *l, const char *ns)
{
	const char *argv[] = { "sysctl", "-q", "-w", "net.ipv4.ip_forward=1",
			       "net.ipv6.conf.all.forwarding=1", NULL };

	return lab_cmd(l, ns, argv) ? -1 : 0;
}

static int addr_add(struct lab *l, const char *ns, const char *addr,
		    const char *dev)
{
	return lab_ip(l, ns, "addr", "add", addr, "dev", dev, NULL) ? -1 : 0;
}

/* Host n of prefix p (n added to its last bytes), as a host prefix. */
static void nth_host(struct lw_prefix *out, const struct lw_prefix *p,
		     unsigned int n)
{
	unsigned int i = p->family == AF_INET ? 4 : 16, carry = n;

	*out = *p;
	out->len = (uint8_t)family_bits(p->family);
	while (i-- && carry) {
		carry += out->addr[i];
		out->addr[i] = (uint8_t)carry;
		carry >>= 8;
	}
}

static void with_len(char *out, size_t size, const struct lw_prefix *a,
		     unsigned int len)
{
	char t[LW_PREFIX_STRLEN];

	addr_format(t, sizeof(t), a);
	snprintf(out, size, "%s/%u", t, len);
}

static struct lab_host *add_host(struct lab *l, const char *name,
				 const char *ns, enum lab_kind kind,
				 size_t party, const char *group)
{
	struct lab_host *h;

	if (l->n_hosts == LAB_MAX_HOSTS) {
		lab_progress(l, "the lab probes at most %d hosts",
			     LAB_MAX_HOSTS);
		return NULL;
	}
	h = &l->hosts[l->n_hosts++];
	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%s", name);
	snprintf(h->ns, sizeof(h->ns), "%s", ns);
	snprintf(h->group, sizeof(h->group), "%s", group);
	h->kind = kind;
	h->party = party;
	return h;
}

static void host_addr(struct lab_host *h, const struct lw_prefix *a,
		      const char *target, bool lan_host, size_t site)
{
	struct lab_addr *x;

	if (h->n_addrs == LAB_MAX_ADDRS)
		return;
	x = &h->addrs[h->n_addrs++];
	addr_format(x->text, sizeof(x->text), a);
	x->target = target;
	x->ep.lan_host = lan_host;
	x->ep.node = h->party;
	x->ep.site = site;
	x->ep.addr = *a;
	x->ep.addr.len = (uint8_t)family_bits(a->family);
}

static void tunnel_addrs(const struct lab *l, struct lab_host *h)
{
	size_t k;

	for (k = 0; k < LW_FAMILIES; k++) {
		if (l->d->nodes[h->party].addr[k].p.family)
			host_addr(h, &l->d->nodes[h->party].addr[k].p,
				  "tunnel", false, 0);
	}
}

struct lab_host *lab_host_of_node(struct lab *l, size_t node)
{
	size_t i;

	for (i = 0; i < l->n_hosts; i++) {
		if (l->hosts[i].kind != LAB_DEVICE &&
		    l->hosts[i].party == node)
			return &l->hosts[i];
	}
	return NULL;
}

/* The public segment, the hubs on it, and the clients' NAT. */
static int build_inet(struct lab *l, unsigned int *port)
{
	char inet[128], ns[128], p[16], a[32];
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
		h = add_host(l, l->d->nodes[i].name, ns, LAB_HUB, i, "hub");
		if (!h)
			return -1;
		tunnel_addrs(l, h);
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

	return lab_cmd_input(l, ns, rules, argv) ? -1 : 0;
}

/* A NAT namespace on the internet at 203.0.113.pub, inside inside/24
 * (".1" its own) on lan (a bridge when bridge). */
static int build_nat(struct lab *l, const char *part, unsigned int pub,
		     const char *inside, unsigned int *port, char *nat,
		     size_t size)
{
	char inet[128], p[16], a[48];

	lab_ns_name(l, inet, sizeof(inet), "net.inet");
	snprintf(p, sizeof(p), "p%u", (*port)++);
	snprintf(a, sizeof(a), INET_NET "%u/24", pub);
	if (add_ns(l, part, nat, size) ||
	    link_bridge(l, nat, "wan", inet, p) || addr_add(l, nat, a, "wan"))
		return -1;
	(void)inside;
	return forward_on(l, nat) || nat_rules(l, nat) ? -1 : 0;
}

/* Gateway gw of site k behind its carrier NAT. */
static int build_gateway_uplink(struct lab *l, size_t gw, size_t k,
				unsigned int *port, const char *gwns)
{
	char nat[128], part[96], inside[32], a[48], via[48];

	snprintf(part, sizeof(part), "nat.%s", l->d->nodes[gw].name);
	snprintf(inside, sizeof(inside), "100.64.%zu.", k + 1);
	if (build_nat(l, part, 50 + (unsigned int)k, inside, port, nat,
		      sizeof(nat)) ||
	    link_pair(l, nat, "lan", gwns, "wan"))
		return -1;
	snprintf(a, sizeof(a), "%s1/24", inside);
	snprintf(via, sizeof(via), "%s1", inside);
	if (addr_add(l, nat, a, "lan"))
		return -1;
	snprintf(a, sizeof(a), "%s2/24", inside);
	if (addr_add(l, gwns, a, "wan") ||
	    lab_ip(l, gwns, "route", "add", "default", "via", via, NULL))
		return -1;
	return 0;
}

/* The gateway's address on LAN lan: its lan-address there, else host 2;
 * the router's: host 1, or host 2 when the gateway has host 1. */
static void lan_pair(const struct lw_site *s, const struct lw_prefix *lan,
		     struct lw_prefix *gw, struct lw_prefix *router)
{
	const struct lw_lprefix *la = &s->lan_address[family_index(lan->family)];
	struct lw_prefix one;

	nth_host(&one, lan, 1);
	if (la->p.family && prefix_contains(lan, &la->p))
		*gw = la->p;
	else
		nth_host(gw, lan, 2);
	if (prefix_equal(gw, &one))
		nth_host(router, lan, 2);
	else
		*router = one;
}

/* Site k: its gateway, LAN router namespace, and the gateway on it. */
static int build_site(struct lab *l, size_t k, unsigned int *port)
{
	const struct lw_site *s = &l->d->sites[k];
	const char *lanif = s->lan_iface[0] ? s->lan_iface : "eth0";
	char gwns[128], rns[128], part[96], a[LW_PREFIX_STRLEN + 8];
	struct lw_prefix gw, router;
	struct lab_host *h;
	size_t i;

	if (add_ns(l, l->d->nodes[s->gateway].name, gwns, sizeof(gwns)) ||
	    build_gateway_uplink(l, s->gateway, k, port, gwns))
		return -1;
	snprintf(part, sizeof(part), "lan.%s", s->name);
	if (add_ns(l, part, rns, sizeof(rns)) || make_bridge(l, rns) ||
	    forward_on(l, rns) || link_bridge(l, gwns, lanif, rns, "gw"))
		return -1;
	h = add_host(l, l->d->nodes[s->gateway].name, gwns, LAB_GATEWAY,
		     s->gateway, "gateway");
	if (!h)
		return -1;
	tunnel_addrs(l, h);
	for (i = 0; i < s->n_lans; i++) {
		lan_pair(s, &s->lans[i].p, &gw, &router);
		with_len(a, sizeof(a), &router, s->lans[i].p.len);
		if (addr_add(l, rns, a, "br0"))
			return -1;
		with_len(a, sizeof(a), &gw, s->lans[i].p.len);
		if (addr_add(l, gwns, a, lanif))
			return -1;
		host_addr(h, &gw, "lan", false, 0);
		/* the description's lan-address is the gateway to the policy;
		 * an address the lab chose is not opened by any rule */
		h->addrs[h->n_addrs - 1].ep.is_lan_address = prefix_equal(
			&gw, &s->lan_address[family_index(gw.family)].p);
	}
	return 0;
}

/* Whether address a of site s is taken by the router, gateway or a named
 * host. */
static bool taken(const struct lw_site *s, const struct lw_prefix *a)
{
	struct lw_prefix gw, router;
	size_t i;

	for (i = 0; i < s->n_lans; i++) {
		lan_pair(s, &s->lans[i].p, &gw, &router);
		if (prefix_equal(a, &gw) || prefix_equal(a, &router))
			return true;
	}
	for (i = 0; i < s->n_hosts; i++) {
		if (prefix_contains(&s->hosts[i].p, a))
			return true;
	}
	return false;
}

/* A test host in site k's LAN with addresses addrs[0..n). */
static int build_device(struct lab *l, size_t k, const char *name,
			const struct lw_prefix *addrs, size_t n,
			unsigned int *port)
{
	const struct lw_site *s = &l->d->sites[k];
	char ns[128], rns[128], part[96], p[16], a[64];
	struct lw_prefix gw, router;
	struct lab_host *h;
	size_t i, j;

	snprintf(part, sizeof(part), "lan.%s", s->name);
	lab_ns_name(l, rns, sizeof(rns), part);
	snprintf(part, sizeof(part), "dev.%s", name);
	for (i = 0; part[i]; i++)
		part[i] = part[i] == ':' ? '.' : part[i];
	snprintf(p, sizeof(p), "d%u", (*port)++);
	if (add_ns(l, part, ns, sizeof(ns)) ||
	    link_bridge(l, ns, "eth0", rns, p))
		return -1;
	h = add_host(l, name, ns, LAB_DEVICE, s->gateway,
		     strchr(name, ':') ? "site host" : "lan host");
	if (!h)
		return -1;
	for (i = 0; i < n; i++) {
		for (j = 0; j < s->n_lans; j++) {
			if (prefix_contains(&s->lans[j].p, &addrs[i]))
				break;
		}
		if (j == s->n_lans)
			return -1;
		with_len(a, sizeof(a), &addrs[i], s->lans[j].p.len);
		if (addr_add(l, ns, a, "eth0"))
			return -1;
		host_addr(h, &addrs[i], "host", true, k);
	}
	/* a default route per family, via the router of its first LAN */
	for (i = 0; i < n; i++) {
		for (j = 0; j < i && addrs[j].family != addrs[i].family; j++)
			;
		if (j < i)
			continue;
		for (j = 0; !prefix_contains(&s->lans[j].p, &addrs[i]); j++)
			;
		lan_pair(s, &s->lans[j].p, &gw, &router);
		addr_format(a, sizeof(a), &router);
		if (lab_ip(l, ns, addrs[i].family == AF_INET ? "-4" : "-6",
			   "route", "add", "default", "via", a, NULL))
			return -1;
	}
	return 0;
}

/* One test host per site (an address in each of its LANs: host 10, or
 * the next one free), one per named host. */
static int build_site_hosts(struct lab *l, size_t k, unsigned int *port)
{
	const struct lw_site *s = &l->d->sites[k];
	struct lw_prefix a[LAB_MAX_ADDRS];
	char name[LW_NAME_MAX * 2 + 2];
	size_t i, n = 0;
	unsigned int h;

	for (i = 0; i < s->n_lans && n < LAB_MAX_ADDRS; i++) {
		for (h = 10; h < 250; h++) {
			nth_host(&a[n], &s->lans[i].p, h);
			if (!taken(s, &a[n]))
				break;
		}
		n++;
	}
	if (build_device(l, k, s->name, a, n, port))
		return -1;
	for (i = 0; i < s->n_hosts; i++) {
		snprintf(name, sizeof(name), "%s:%s", s->name,
			 s->hosts[i].name);
		a[0] = s->hosts[i].p;
		a[0].len = (uint8_t)family_bits(a[0].family);
		if (build_device(l, k, name, a, 1, port))
			return -1;
	}
	return 0;
}

static int build_seed_device(struct lab *l, const struct lab_device *dev,
			     unsigned int *port)
{
	ssize_t site = desc_find_site(l->d, dev->site);
	struct lw_prefix a;

	if (site < 0 || addr_parse(&a, dev->addr))
		return -1;
	return build_device(l, (size_t)site, dev->name, &a, 1, port);
}

/* Seed 001's laptop on site: a second link into the site's LAN. */
static int build_onsite(struct lab *l, const char *ns, unsigned int *port)
{
	const struct lab_scenario *sc = l->sc;
	ssize_t site = desc_find_site(l->d, sc->onsite_site);
	char rns[128], part[96], p[16], a[64];

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

/* Whether client i is one of the first LAB_CLIENTS_PER_GROUP of its
 * (group, os); seed 001's on-site client always is. */
static bool client_kept(const struct lab *l, size_t i)
{
	const struct lw_node *n = &l->d->nodes[i], *m;
	size_t j, same = 0;

	if (l->sc->onsite_client && !strcmp(l->sc->onsite_client, n->name))
		return true;
	for (j = 0; j < i; j++) {
		m = &l->d->nodes[j];
		same += m->role == LW_ROLE_CLIENT && m->os_other == n->os_other &&
			!strcmp(m->group ? m->group : "",
				n->group ? n->group : "");
	}
	return same < LAB_CLIENTS_PER_GROUP;
}

static int build_client(struct lab *l, size_t i, size_t k, const char *cns,
			unsigned int *port)
{
	const struct lw_node *n = &l->d->nodes[i];
	char ns[128], p[16], a[32];
	struct lab_host *h;

	snprintf(p, sizeof(p), "c%u", (*port)++);
	snprintf(a, sizeof(a), CLIENT_NAT "%zu/24", 10 + k);
	if (add_ns(l, n->name, ns, sizeof(ns)) ||
	    link_bridge(l, ns, "wan", cns, p) || addr_add(l, ns, a, "wan") ||
	    lab_ip(l, ns, "route", "add", "default", "via", CLIENT_NAT "1",
		   NULL))
		return -1;
	if (l->sc->onsite_client && !strcmp(l->sc->onsite_client, n->name) &&
	    build_onsite(l, ns, port))
		return -1;
	h = add_host(l, n->name, ns, LAB_CLIENT, i,
		     n->group ? n->group : "client");
	if (!h)
		return -1;
	tunnel_addrs(l, h);
	return 0;
}

static int build_clients(struct lab *l, unsigned int *port)
{
	char cns[128];
	size_t i, k = 0, skipped = 0;

	if (build_nat(l, "nat.clients", 100, CLIENT_NAT, port, cns,
		      sizeof(cns)) ||
	    make_bridge(l, cns) || addr_add(l, cns, CLIENT_NAT "1/24", "br0"))
		return -1;
	for (i = 0; i < l->d->n_nodes; i++) {
		if (l->d->nodes[i].role != LW_ROLE_CLIENT)
			continue;
		if (!client_kept(l, i)) {
			skipped++;
			continue;
		}
		if (build_client(l, i, k++, cns, port))
			return -1;
	}
	if (skipped)
		lab_progress(l, "%zu client%s not built (at most %d per group "
				"and os)",
			     skipped, skipped == 1 ? "" : "s",
			     LAB_CLIENTS_PER_GROUP);
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
	if (l->sc->devices[0].name) {
		for (k = 0; l->sc->devices[k].name; k++) {
			if (build_seed_device(l, &l->sc->devices[k], &port))
				return -1;
		}
	} else {
		for (k = 0; k < l->d->n_sites; k++) {
			if (build_site_hosts(l, k, &port))
				return -1;
		}
	}
	return build_clients(l, &port);
}
