/* SPDX-License-Identifier: MIT */
/*
 * AllowedIPs (whitepaper section 2, "Cryptokey Routing"): one longest-prefix
 * match table for IPv4 and one for IPv6. Outbound it picks the peer for a
 * destination; inbound it checks that a decrypted packet's source belongs to
 * the peer that sent it.
 *
 * Entries are owned by the table. Each entry points at an allowedips_owner
 * that its user embeds (in struct peer) and that links all entries of that
 * owner, so one peer's prefixes are listed or removed without a scan.
 * Caller serialises all calls (the event loop thread owns the table).
 */
#ifndef LW_ALLOWEDIPS_H
#define LW_ALLOWEDIPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct allowedips_node;

/* Embedded in the owner (a peer). Owner must stay alive while it has
 * entries; call allowedips_remove_by_owner() before freeing it. */
struct allowedips_owner {
	struct allowedips_node *first; /* list of this owner's entries */
	struct allowedips_node **tail; /* last entry's next field; NULL if empty */
	size_t count;
};

struct allowedips {
	struct allowedips_node *root4;
	struct allowedips_node *root6;
	uint64_t seq; /* bumped on every change */
};

void allowedips_init(struct allowedips *table);
/* Frees every entry; owners are left with count 0. */
void allowedips_free(struct allowedips *table);

/* family is AF_INET (addr 4 bytes) or AF_INET6 (16 bytes). Host bits below
 * cidr are ignored (masked off). Inserting an existing prefix moves it to the
 * new owner. 0, -EINVAL (bad family/cidr) or -ENOMEM. */
int allowedips_insert(struct allowedips *table, int family, const uint8_t *addr,
		      uint8_t cidr, struct allowedips_owner *owner);
/* Removes exactly this prefix if owner holds it. 0 or -ENOENT. */
int allowedips_remove(struct allowedips *table, int family, const uint8_t *addr,
		      uint8_t cidr, struct allowedips_owner *owner);
void allowedips_remove_by_owner(struct allowedips *table,
				struct allowedips_owner *owner);

/* Longest-prefix match; NULL when no entry covers addr. */
struct allowedips_owner *allowedips_lookup(const struct allowedips *table,
					   int family, const uint8_t *addr);

/* Calls fn for each prefix of owner (addr already masked), in the order
 * they were inserted. Stops early and
 * returns fn's value if fn returns non-zero; otherwise 0. */
typedef int (*allowedips_walk_fn)(void *ctx, int family, const uint8_t *addr,
				  uint8_t cidr);
int allowedips_walk_by_owner(const struct allowedips_owner *owner,
			     allowedips_walk_fn fn, void *ctx);

/* For tests: checks the trie's invariants; returns its node count, or -1
 * if an invariant is broken. */
long allowedips_debug_check(const struct allowedips *table, int family);

#endif
