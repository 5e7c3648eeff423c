/* SPDX-License-Identifier: MIT */
/*
 * What lanwire up knows about a node it brought up, and what it reads
 * back from the running interface. Pure text in and out; apply*.c does
 * the host side.
 *
 * The state file (RUN/IFACE.state, 0600 in a 0700 directory, written
 * atomically) says what up created, so that up converges only what is its
 * own and down removes exactly that, even after the interface is renamed:
 *
 *   lanwire-state 1
 *   node a
 *   iface wg0            the name up gave it
 *   ifindex 7            how it is found again after a rename
 *   user nobody          lanwired's user ("root": no drop)
 *   pid 1234             lanwired's processes (at most LW_UP_MAX_PIDS)
 *   addr 10.99.0.2/24    each address up added
 *   route 10.9.0.0/24    each route up added
 *   nft inet lanwire     up loaded the table
 *   endpoint KEY H:P     the endpoint up last set for the peer with public
 *                        key KEY (base64): set again only when the plan's
 *                        differs, so a peer that roamed is not pulled back
 *   sysctl net.ipv4.ip_forward 0   the value before up changed it
 *
 * `wg show IFACE dump` is read into struct lw_wg_dump: the interface line
 * (private key, public key, port, fwmark) and one line per peer (public
 * key, preshared key, endpoint, allowed IPs, handshake, transfer,
 * keepalive), tab-separated, "(none)" and "off" for empty fields.
 *
 * Ownership: both structs are the caller's; up_state_free() and
 * wg_dump_free() release them (the dump's keys are wiped).
 */
#ifndef LW_UPSTATE_H
#define LW_UPSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "addr.h"
#include "model.h"

#define LW_UP_MAX_PIDS 8
#define LW_UP_MAX_ADDRS 8
#define LW_UP_MAX_SYSCTLS 8

struct lw_up_sysctl {
	char key[96];
	char old[64];
};

/* A dynamic list of prefixes, owned by its container. */
struct lw_up_prefixes {
	struct lw_prefix *v;
	size_t n, cap;
};

/* The endpoint up last gave a peer. */
struct lw_up_endpoint {
	uint8_t public_key[LW_KEY_LEN];
	char endpoint[LW_HOST_MAX + 16];
};

struct lw_up_state {
	char node[LW_NAME_MAX + 1];
	char iface[LW_IFNAME_MAX + 1];
	unsigned int ifindex;
	char user[LW_NAME_MAX + 1];
	pid_t pids[LW_UP_MAX_PIDS];
	size_t n_pids;
	struct lw_up_prefixes addrs, routes;
	bool nft;
	struct lw_up_sysctl sysctls[LW_UP_MAX_SYSCTLS];
	size_t n_sysctls;
	struct lw_up_endpoint *endpoints;
	size_t n_endpoints, cap_endpoints;
};

/* Parses a state file. 0, -EINVAL (with the 1-based bad line in *line),
 * or -ENOMEM. st is initialised either way; free it. */
int up_state_parse(struct lw_up_state *st, const char *text, int *line);
/* The state as text (caller frees), or NULL on out of memory. */
char *up_state_format(const struct lw_up_state *st);
void up_state_free(struct lw_up_state *st);

/* "a.b.c.d/n" keeping the host bits (an interface address), or a bare
 * address as a host prefix. 0 or -EINVAL. */
int up_prefix_parse(struct lw_prefix *p, const char *s);
/* The endpoint recorded for key, or NULL. */
const char *up_state_endpoint(const struct lw_up_state *st,
			      const uint8_t key[static LW_KEY_LEN]);
/* Records (or replaces) key's endpoint. 0, -EINVAL (too long), -ENOMEM. */
int up_state_set_endpoint(struct lw_up_state *st,
			  const uint8_t key[static LW_KEY_LEN],
			  const char *endpoint);
/* List helpers. 0 or -ENOMEM / false when absent. */
int up_prefixes_add(struct lw_up_prefixes *l, const struct lw_prefix *p);
bool up_prefixes_has(const struct lw_up_prefixes *l,
		     const struct lw_prefix *p);
void up_prefixes_del(struct lw_up_prefixes *l, const struct lw_prefix *p);
/* Records key's value before up changed it, unless recorded already.
 * 0 or -ENOSPC. */
int up_state_add_sysctl(struct lw_up_state *st, const char *key,
			const char *old);

struct lw_dump_peer {
	uint8_t public_key[LW_KEY_LEN];
	bool has_psk;
	uint8_t psk[LW_KEY_LEN];
	char endpoint[64]; /* "" : none */
	struct lw_up_prefixes allowed;
	uint64_t handshake;
	unsigned int keepalive; /* 0: off */
};

struct lw_wg_dump {
	bool has_private_key;
	uint8_t private_key[LW_KEY_LEN];
	bool has_public_key;
	uint8_t public_key[LW_KEY_LEN];
	uint16_t listen_port;
	struct lw_dump_peer *peers;
	size_t n_peers, cap_peers;
};

/* Parses `wg show IFACE dump`. 0, -EINVAL or -ENOMEM; free either way. */
int wg_dump_parse(struct lw_wg_dump *dump, const char *text);
void wg_dump_free(struct lw_wg_dump *dump);
/* The peer with this public key, or NULL. */
const struct lw_dump_peer *wg_dump_find(const struct lw_wg_dump *dump,
					const uint8_t key[static LW_KEY_LEN]);

#endif
