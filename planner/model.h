/* SPDX-License-Identifier: MIT */
/*
 * The planner's model, in one place. A description file is parsed into
 * struct lw_desc (desc.c), completed by name linking and address
 * allocation, checked (check.c), joined with the key directory (struct
 * lw_keyring, keys.c), and then turned into one struct lw_node_plan per
 * node (plan.c): everything a renderer or a later applier (lanwire up,
 * lanwire lab) needs for that node. Parse -> model -> check -> render ->
 * apply is one-way: nothing after desc.c writes to struct lw_desc, and
 * renderers only read a plan.
 *
 * Parties. Policy rules name sites, clients, groups and hubs; each of them
 * is, or expands to, nodes. A site's party is its gateway node, whose
 * addresses are the gateway's tunnel addresses plus the site's LANs. So
 * "who may talk to whom" is one matrix over node indices (lw_desc.open),
 * which AllowedIPs and routes follow. The firewall is finer: hosts,
 * protocols and ports, and a site as a destination is its LANs only
 * (struct lw_firewall, made per node by policy.c).
 */
#ifndef LW_MODEL_H
#define LW_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define LW_NAME_MAX 32
#define LW_IFNAME_MAX 15
#define LW_KEY_LEN 32
#define LW_MAX_NODES 1024
#define LW_DEFAULT_PORT 51820
#define LW_DEFAULT_MTU 1420
#define LW_DEFAULT_LINK_MTU 1500
#define LW_DEFAULT_KEEPALIVE 25
#define LW_DEFAULT_IFACE "wg0"
/* WireGuard's per-packet overhead: outer IP + UDP 8 + header 16 + tag 16. */
#define LW_OVERHEAD_V4 60
#define LW_OVERHEAD_V6 80
#define LW_MIN_MTU_V6 1280
#define LW_MIN_MTU_V4 576
/* The nft table every rendered ruleset lives in, whole. */
#define LW_NFT_TABLE "lanwire"
/* The overlay (overlay.h): per-pair link interfaces and BIRD. */
#define LW_DEFAULT_LINK_PORT 51900
#define LW_DEFAULT_LINK_IFACE "lwl"
#define LW_LINK_IFACE_MAX 10 /* the prefix; up to 5 digits follow */
#define LW_DEFAULT_LINK_COST 10
#define LW_HUB_COST_STEP 10 /* hub k (0-based) defaults to (k + 1) * 10 */
#define LW_MAX_COST 65535   /* OSPF's interface cost is 16 bits */
/* PersistentKeepalive on overlay links: BFD's 10 packets a second keep
 * NAT mappings busy while BIRD runs; this covers a link whose BIRD is
 * down, so that the peer still answers within seconds. */
#define LW_LINK_KEEPALIVE 5
/* BFD and OSPF timers, as in issue 11's feasibility run. */
#define LW_BFD_INTERVAL_MS 100
#define LW_BFD_MULTIPLIER 3
#define LW_OSPF_HELLO 1
#define LW_OSPF_DEAD_COUNT 3
/* Metrics in the kernel's main table: BIRD's routes, and below them
 * (a larger metric loses) the unreachable routes for every prefix of the
 * network, so that nothing leaks out of a default route. */
#define LW_BIRD_METRIC 32
#define LW_UNREACHABLE_METRIC 4000

enum lw_role { LW_ROLE_HUB, LW_ROLE_GATEWAY, LW_ROLE_CLIENT };

/* How traffic from the tunnel finds its way back out of a site's LAN. */
enum lw_return {
	LW_RETURN_MASQUERADE, /* the gateway rewrites sources to itself */
	LW_RETURN_ROUTE,      /* the LAN router routes tunnel prefixes to it */
};

enum lw_severity { LW_ERROR, LW_WARNING };

/* A value and the description line it came from; line 0: not written
 * there (a default, or derived). family 0 in p: not set. */
struct lw_lprefix {
	struct lw_prefix p;
	int line;
};

/* One diagnostic. Owned by lw_desc.diags; file NULL means the description
 * itself (otherwise e.g. a key file), line 0 means the file as a whole. */
struct lw_diag {
	enum lw_severity severity;
	char *file;
	int line;
	char *msg;
};

/* [network]. Owned by lw_desc; strings freed by desc_free(). Pools
 * default to the tunnel prefix of their family (line 0). */
struct lw_net {
	int line; /* of the [network] header; 0 if there is none */
	char *name;
	int name_line;
	struct lw_lprefix tunnel[LW_FAMILIES];
	struct lw_lprefix infra_pool[LW_FAMILIES];  /* hubs and gateways */
	struct lw_lprefix client_pool[LW_FAMILIES]; /* clients */
	unsigned int mtu, link_mtu, keepalive;
	int mtu_line, link_mtu_line, keepalive_line;
	char iface[LW_IFNAME_MAX + 1];
	int iface_line;
	bool host_addresses; /* address-prefix = host: render /32, /128 */
	int address_prefix_line;
	/* The overlay's links (overlay.h): /31s from the top of link-pool
	 * (IPv4; default the IPv4 infra-pool), UDP port link-port + the
	 * link's index at both ends, interface link-interface + index. */
	struct lw_lprefix link_pool;
	unsigned int link_port;
	int link_port_line;
	char link_iface[LW_LINK_IFACE_MAX + 1];
	int link_iface_line;
};

/* A policy reference by name, resolved by desc.c's link step. */
enum lw_ref_kind {
	LW_REF_UNKNOWN, /* no such name: check.c reports it */
	LW_REF_NODE,	/* a hub or a client (gateways resolve to their site) */
	LW_REF_SITE,
	LW_REF_GROUP,
};

/* "SITE:PREFIX" narrows a site reference to hosts of its LANs (has_prefix;
 * "SITE:NAME" names a host = line of the site, resolved by the link step);
 * itself marks the node a [hub]/[site] service line is written in (the
 * node's own addresses, not its site). */
struct lw_ref {
	char *name; /* owned */
	enum lw_ref_kind kind;
	size_t index; /* into nodes, sites or groups */
	bool has_prefix;
	struct lw_prefix prefix;
	char *host; /* owned; SITE:NAME, the prefix once linked */
	bool itself;
};

/* A protocol with a port range a rule opens: "tcp/22", "udp/53",
 * "tcp/8000-8080", "icmp" (both families' echo and the rest of ICMP),
 * "tcp" (every port). lo = hi = 0: every port. */
enum lw_proto { LW_PROTO_TCP, LW_PROTO_UDP, LW_PROTO_ICMP };

struct lw_svc {
	enum lw_proto proto;
	uint16_t lo, hi;
};

/* "allow = FROM -> TO [PROTO/PORTS ...]" (from may open connections to
 * to) or "A <-> B ..."; also a [hub]/[site] "service = PROTO/PORTS -> WHO"
 * or "ssh = WHO" line (is_service; to is the node itself). n_svcs 0: every
 * protocol and port. Owned by lw_desc. */
struct lw_rule {
	int line;
	bool both;
	bool is_service;
	char *text; /* as written, for comments in rendered rulesets */
	struct lw_ref *from, *to;
	size_t n_from, n_to;
	struct lw_svc *svcs;
	size_t n_svcs, cap_svcs;
};

/*
 * A node: a hub, a site's gateway, or a client. Owned by lw_desc.nodes;
 * strings and arrays freed by desc_free(). Gateways are written in their
 * [site] section; their line is that section's header.
 */
struct lw_node {
	char *name;
	enum lw_role role;
	int line;
	int name_line; /* the gateway = line for gateways; else line */
	struct lw_lprefix addr[LW_FAMILIES]; /* tunnel addresses (hosts) */
	bool allocated[LW_FAMILIES];	     /* chosen by alloc.c */
	struct lw_endpoint endpoint;	     /* hubs; port 0: none */
	int endpoint_line;
	uint16_t listen_port; /* 0: random (spokes) */
	int listen_port_line;
	char iface[LW_IFNAME_MAX + 1]; /* "" : the network's */
	int iface_line;
	/* Spokes: the hub they connect to, by name (NULL: the first hub). */
	char *hub_name;
	int hub_line;
	bool has_hub;
	size_t hub;
	/* A public key written in the description means the private key is
	 * made on the device and never leaves it. */
	bool has_public_key;
	uint8_t public_key[LW_KEY_LEN];
	int public_key_line;
	size_t site; /* gateways: index into lw_desc.sites */
	/* Clients. */
	char *group;
	int group_line;
	size_t group_index;
	struct lw_ref *visits; /* sites the client may sit in */
	size_t n_visits, cap_visits;
	bool visits_given, visits_none;
	int visits_line;
	struct lw_lprefix *routes; /* hand-written routes, else summarised */
	size_t n_routes, cap_routes;
	int routes_line;
	/* keepalive = in the node's section: PersistentKeepalive on its
	 * links (both ends), 0 for none; keepalive_line 0: the network's. */
	unsigned int keepalive;
	int keepalive_line;
	/* Clients: dns = servers and search domains, ", "-joined (wg-quick
	 * DNS =); NULL: none. */
	char *dns;
	int dns_line;
	/* os = other: no nft on the device (phones, macOS, Windows); the
	 * hub's rules guard it. Default linux: an input table in wg-quick. */
	bool os_other;
	int os_line;
	/* Hubs: cost = the OSPF cost of the links to this hub (a smaller one
	 * is preferred); 0 until given: LW_HUB_COST_STEP times its place. */
	unsigned int cost;
	int cost_line;
	/* Gateways: hubs = the hubs the site has links to (n_hubs 0 and not
	 * hubs_none: every hub); public-address = the host other sites'
	 * [link]s dial (has_public_address). */
	struct lw_ref *hubs;
	size_t n_hubs, cap_hubs;
	int hubs_line;
	bool hubs_none;
	struct lw_endpoint public_address; /* port unused */
	bool has_public_address;
	int public_address_line;
};

/* "host = NAME ADDRESS|PREFIX" in a [site]: a name for hosts of its LAN,
 * for rules as SITE:NAME. Owned by its lw_site. */
struct lw_host {
	char *name;
	struct lw_prefix p;
	int line;
};

/* A site: LAN prefixes behind one gateway node. Owned by lw_desc.sites. */
struct lw_site {
	char *name;
	int line;
	size_t gateway; /* index into lw_desc.nodes */
	int gateway_line;
	struct lw_lprefix *lans;
	size_t n_lans, cap_lans;
	char lan_iface[LW_IFNAME_MAX + 1];
	int lan_iface_line;
	/* the gateway's own address on its LAN, one per family
	 * (family_index()); p.family 0: none */
	struct lw_lprefix lan_address[LW_FAMILIES];
	enum lw_return ret;
	int return_line;
	struct lw_host *hosts;
	size_t n_hosts, cap_hosts;
};

/*
 * [revoked NAME]: a node `lanwire revoke` cut off. It is no node any more
 * (nothing is planned for it and no peer knows it), but its name, tunnel
 * addresses and public key stay in the description so that they are never
 * given to another node (alloc.c, check_revoked.c). Owned by
 * lw_desc.revoked.
 */
struct lw_revoked {
	char *name;
	int line;
	struct lw_lprefix addr[LW_FAMILIES];
	bool has_public_key;
	uint8_t public_key[LW_KEY_LEN];
	int public_key_line;
};

/* [link A C]: a direct link between the gateways of sites A and C, with
 * the OSPF cost of each direction ("cost = AC[, CA]"). Owned by lw_desc;
 * the names are freed by desc_free(). */
struct lw_link_decl {
	int line;
	char *a, *c;
	unsigned int cost_ac, cost_ca;
	int cost_line;
};

/* A group of clients, made by their "group =" lines. Owned by lw_desc. */
struct lw_group {
	char *name;
	int line; /* first client line naming it */
	size_t *members;
	size_t n_members, cap_members;
};

/*
 * The whole description. Caller-owned (usually on the stack); desc_free()
 * releases everything in it. After desc_parse() every pointer inside stays
 * valid until desc_free(); plans and keyrings point into it.
 */
struct lw_desc {
	char *path; /* for diagnostics */
	struct lw_net net;
	struct lw_node *nodes;
	size_t n_nodes, cap_nodes;
	struct lw_site *sites;
	size_t n_sites, cap_sites;
	struct lw_group *groups;
	size_t n_groups, cap_groups;
	struct lw_rule *rules;
	size_t n_rules, cap_rules;
	struct lw_link_decl *links;
	size_t n_links, cap_links;
	int policy_line;
	struct lw_revoked *revoked;
	size_t n_revoked, cap_revoked;
	/* open[a * n_nodes + b]: party a may open connections to party b. */
	uint8_t *open;
	struct lw_diag *diags;
	size_t n_diags, cap_diags;
	unsigned int n_errors, n_warnings;
	bool syntax_failed; /* errors while parsing: semantics unchecked */
};

/*
 * Keys of one node as found in the key directory or the description.
 * private_key is a secret: keyring_free() wipes it.
 */
struct lw_node_keys {
	bool has_private;
	uint8_t private_key[LW_KEY_LEN];
	bool has_public;
	uint8_t public_key[LW_KEY_LEN];
	bool on_device; /* public key from the description */
	char *private_path; /* keys dir file, or NULL when on the device */
};

/* The preshared key of one pair of peers (a < b as node indices). */
struct lw_psk {
	size_t a, b;
	bool present;
	uint8_t key[LW_KEY_LEN];
	char *path;
};

/* Keys for one description. Caller-owned; keyring_free() wipes and frees.
 * nodes[] is indexed like lw_desc.nodes. */
struct lw_keyring {
	char *dir;
	struct lw_node_keys *nodes;
	size_t n_nodes;
	struct lw_psk *psks;
	size_t n_psks, cap_psks;
};

/* One [Peer] of a node's configuration. Owned by its lw_node_plan. */
struct lw_peer_plan {
	size_t node; /* the peer, index into lw_desc.nodes */
	uint8_t public_key[LW_KEY_LEN];
	bool has_psk;
	uint8_t psk[LW_KEY_LEN];
	char *psk_path; /* its file in the key directory */
	bool has_endpoint;
	struct lw_endpoint endpoint;
	struct lw_prefix *allowed_ips;
	size_t n_allowed_ips;
	unsigned int keepalive; /* 0: off */
};

/* One overlay link (overlay.h) as seen from this end: its own wg-quick
 * interface with the one peer at the other end. Owned by its
 * lw_node_plan; plan_free() wipes the preshared key. */
struct lw_link_plan {
	char iface[LW_IFNAME_MAX + 1];
	size_t peer; /* node index */
	struct lw_prefix addr, peer_addr; /* IPv4 hosts in the link's /31 */
	uint16_t port;			  /* ListenPort here, and the peer's */
	unsigned int cost;		  /* OSPF cost out of this end */
	uint8_t public_key[LW_KEY_LEN];	  /* the peer's */
	bool has_psk;
	uint8_t psk[LW_KEY_LEN];
	bool has_endpoint; /* the peer is reachable: a hub, a public site */
	struct lw_endpoint endpoint;
	bool rp_loose; /* paths may be asymmetric here: rp_filter 2 */
};

/* "ip route add dst via via" on a site's LAN router. */
struct lw_lan_route {
	struct lw_prefix dst;
	struct lw_prefix via;
};

/* Where a firewall rule sits and which interfaces it matches. */
enum lw_fw_chain { LW_FW_FORWARD, LW_FW_INPUT, LW_FW_OUTPUT };
enum lw_fw_side {
	LW_FW_RELAY,	   /* iif and oif the tunnel (hubs) */
	LW_FW_FROM_TUNNEL, /* iif the tunnel */
	LW_FW_FROM_LAN,	   /* iif not the tunnel (a gateway's LAN side) */
	LW_FW_TO_TUNNEL,   /* oif the tunnel */
};

/* One accept rule for new connections: from any of src to any of dst,
 * on any of svcs (none: everything). Owned by its lw_firewall; svcs and
 * rule point into the description. */
struct lw_fw_rule {
	enum lw_fw_chain chain;
	enum lw_fw_side side;
	const struct lw_rule *rule; /* the line it comes from */
	struct lw_prefix *src, *dst;
	size_t n_src, n_dst;
	const struct lw_svc *svcs;
	size_t n_svcs;
};

/*
 * A node's firewall (policy.c): accept rules per chain in description
 * order; every chain first accepts established/related traffic, and what
 * no rule accepts is dropped:
 *   forward  (hubs, gateways) new connections from the tunnel, and on a
 *            gateway from its LAN into the tunnel;
 *   input    (hubs, gateways, Linux clients) everything from the tunnel,
 *            and on a gateway what its LAN side sends to its tunnel
 *            addresses (guard_addrs);
 *   output   (hubs) new connections the hub itself opens into the tunnel.
 * Masquerade (masq_src into masq_dst) for masquerading gateways. Owned by
 * its lw_node_plan; policy_free() releases it.
 */
struct lw_firewall {
	bool has_table; /* hubs, gateways, Linux clients */
	bool forward, output;
	struct lw_fw_rule *rules;
	size_t n_rules, cap_rules;
	struct lw_prefix guard_addrs[LW_FAMILIES];
	size_t n_guard_addrs;
	struct lw_prefix *masq_src, *masq_dst;
	size_t n_masq_src, n_masq_dst;
};

/*
 * Everything about one node that renderers and appliers need. Made by
 * plan_node(); owned by the caller, released by plan_free() (which wipes
 * the keys). Points into the lw_desc it was made from, which must outlive
 * it.
 */
struct lw_node_plan {
	const struct lw_desc *desc;
	size_t node;
	const struct lw_node *self;
	const struct lw_site *site; /* gateways only */
	char iface[LW_IFNAME_MAX + 1];
	struct lw_prefix addrs[LW_FAMILIES]; /* with interface prefix length */
	size_t n_addrs;
	uint16_t listen_port; /* 0: none */
	unsigned int mtu;
	bool has_private_key; /* false: the key stays on the device */
	uint8_t private_key[LW_KEY_LEN];
	char *private_key_path; /* key directory file, or the device's */
	struct lw_peer_plan *peers;
	size_t n_peers;
	/* Routes into the interface that its addresses do not already make
	 * connected (networkd [Route]; wg-quick makes them from AllowedIPs). */
	struct lw_prefix *routes;
	size_t n_routes;
	bool forwards; /* hubs and gateways relay: forwarding and nft */
	bool masquerade;
	const char *sysctls[LW_FAMILIES]; /* "net.ipv4.ip_forward=1", ... */
	size_t n_sysctls;
	struct lw_lan_route *lan_routes; /* for the site's LAN router */
	size_t n_lan_routes;
	struct lw_firewall fw;
	/* The nft ruleset as text, when it came already rendered (lanwire
	 * agent: the signed state's, ctl.h; not owned); NULL: render fw. */
	const char *nft_ruleset;
	/* The overlay (overlay.h): this router's links, in link order; none
	 * when the network has one hub and no [link], and on clients. */
	struct lw_link_plan *links;
	size_t n_links;
};

#endif
