// SPDX-License-Identifier: MIT
/*
 * AllowedIPs longest-prefix match (whitepaper section 2, "Cryptokey
 * Routing") as a path-compressed binary trie, one root per address family.
 * Every node holds a prefix (bits + cidr) and branches on the bit right after
 * it, bit number cidr; runs of bits shared by a whole subtree are skipped in
 * one step. A node is an entry (it has an owner) or a pure branching node,
 * which always has two children, so n entries need at most 2n - 1 nodes.
 * Insert adds at most two nodes, removal folds away the nodes that became
 * useless, lookup is one loop down the trie visiting at most address-bits
 * nodes, and each owner links its entries in a list so walking or dropping
 * one peer's prefixes never scans the trie. Addresses are kept as host-order
 * 32-bit words so prefix tests are word compares.
 */
#include "allowedips.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define WORDS_V4 1
#define WORDS_V6 4
#define MAX_WORDS WORDS_V6

/*
 * One trie node. Owned by the table (allocated by insert, freed by remove,
 * remove_by_owner or allowedips_free); never handed out. An entry node also
 * sits on its owner's list through owner_next/owner_pprev; a branching node
 * has owner == NULL, is not on any list and has both children. bits[] has
 * nwords words (1 for IPv4, 4 for IPv6), host order, with the host bits
 * (bit number cidr onwards) zero. A glibc chunk of 64 bytes for IPv4, 80
 * for IPv6.
 */
struct allowedips_node {
	struct allowedips_node *child[2];
	struct allowedips_node *parent;
	struct allowedips_owner *owner;
	struct allowedips_node *owner_next;
	struct allowedips_node **owner_pprev;
	uint8_t cidr;
	uint8_t nwords;
	uint32_t bits[];
};

static unsigned int family_words(int family)
{
	if (family == AF_INET)
		return WORDS_V4;
	if (family == AF_INET6)
		return WORDS_V6;
	return 0;
}

static struct allowedips_node **root_slot(struct allowedips *table,
					  unsigned int nwords)
{
	return nwords == WORDS_V4 ? &table->root4 : &table->root6;
}

/* Network-order bytes -> host-order words. */
static void key_from_bytes(uint32_t *key, const uint8_t *addr,
			   unsigned int nwords)
{
	unsigned int i;
	uint32_t w;

	for (i = 0; i < nwords; i++) {
		memcpy(&w, addr + 4 * i, sizeof(w));
		key[i] = ntohl(w);
	}
}

static void key_to_bytes(uint8_t *addr, const uint32_t *key,
			 unsigned int nwords)
{
	unsigned int i;
	uint32_t w;

	for (i = 0; i < nwords; i++) {
		w = htonl(key[i]);
		memcpy(addr + 4 * i, &w, sizeof(w));
	}
}

/* Zeroes every bit at position >= cidr. */
static void key_mask(uint32_t *key, unsigned int nwords, unsigned int cidr)
{
	unsigned int i;

	for (i = 0; i < nwords; i++) {
		if (cidr >= 32 * (i + 1))
			continue;
		if (cidr <= 32 * i)
			key[i] = 0;
		else
			key[i] &= ~0U << (32 * (i + 1) - cidr);
	}
}

/* Bit number pos (0 = most significant bit of the address) of key. */
static inline unsigned int key_bit(const uint32_t *key, unsigned int pos)
{
	return (key[pos / 32] >> (31 - pos % 32)) & 1;
}

/* True if the first node->cidr bits of key equal the node's prefix. Inlined
 * into the lookup loop, which runs it once per node visited. */
static inline __attribute__((always_inline)) bool
prefix_matches(const struct allowedips_node *node, const uint32_t *key)
{
	unsigned int i, full = node->cidr / 32, rem = node->cidr % 32;

	for (i = 0; i < full; i++)
		if (node->bits[i] != key[i])
			return false;
	return !rem || !((node->bits[i] ^ key[i]) >> (32 - rem));
}

/* Number of leading bits node and key share, at most limit. */
static unsigned int common_bits(const struct allowedips_node *node,
				const uint32_t *key, unsigned int limit)
{
	unsigned int i, n = 0;
	uint32_t diff;

	for (i = 0; i < node->nwords && n < limit; i++) {
		diff = node->bits[i] ^ key[i];
		if (diff) {
			n += __builtin_clz(diff);
			break;
		}
		n += 32;
	}
	return n < limit ? n : limit;
}

static struct allowedips_node *node_new(const uint32_t *key,
					unsigned int nwords, unsigned int cidr,
					struct allowedips_node *parent)
{
	struct allowedips_node *node;

	node = calloc(1, offsetof(struct allowedips_node, bits) +
			 nwords * sizeof(node->bits[0]));
	if (!node)
		return NULL;
	memcpy(node->bits, key, nwords * sizeof(node->bits[0]));
	key_mask(node->bits, nwords, cidr);
	node->cidr = cidr;
	node->nwords = nwords;
	node->parent = parent;
	return node;
}

static void owner_link(struct allowedips_owner *owner,
		       struct allowedips_node *node)
{
	/* Appended at the tail, so prefixes are listed back in the order
	 * they were added, as wireguard-go does. tail == NULL: empty. */
	struct allowedips_node **tail = owner->tail ? owner->tail : &owner->first;

	node->owner = owner;
	node->owner_next = NULL;
	node->owner_pprev = tail;
	*tail = node;
	owner->tail = &node->owner_next;
	owner->count++;
}

static void owner_unlink(struct allowedips_node *node)
{
	if (node->owner->tail == &node->owner_next)
		node->owner->tail = node->owner_pprev;
	*node->owner_pprev = node->owner_next;
	if (node->owner_next)
		node->owner_next->owner_pprev = node->owner_pprev;
	node->owner->count--;
	node->owner = NULL;
	node->owner_next = NULL;
	node->owner_pprev = NULL;
}

/* The pointer that points at node: its parent's child slot or the root. */
static struct allowedips_node **node_slot(struct allowedips *table,
					  struct allowedips_node *node)
{
	struct allowedips_node *parent = node->parent;

	if (!parent)
		return root_slot(table, node->nwords);
	return &parent->child[parent->child[1] == node];
}

/*
 * Called after node lost its owner. Frees it if it no longer branches and
 * walks up while that leaves a parent without owner and with one child.
 */
static void node_collapse(struct allowedips *table,
			  struct allowedips_node *node)
{
	struct allowedips_node *child, *parent;

	while (node && !node->owner) {
		if (node->child[0] && node->child[1])
			return;
		child = node->child[0] ? node->child[0] : node->child[1];
		parent = node->parent;
		*node_slot(table, node) = child;
		if (child)
			child->parent = parent;
		free(node);
		/* A child took our place: parent's fan-out did not change. */
		if (child)
			return;
		node = parent;
	}
}

/* Finds the node holding exactly key/cidr, NULL if none. */
static struct allowedips_node *node_find(struct allowedips_node *node,
					 const uint32_t *key,
					 unsigned int cidr)
{
	while (node && node->cidr <= cidr && prefix_matches(node, key)) {
		if (node->cidr == cidr)
			return node;
		node = node->child[key_bit(key, node->cidr)];
	}
	return NULL;
}

/* Gives node to owner, moving it off a previous owner's list. */
static void node_set_owner(struct allowedips_node *node,
			   struct allowedips_owner *owner)
{
	if (node->owner)
		owner_unlink(node);
	owner_link(owner, node);
}

/*
 * Puts a new node for key/cidr at slot, where old sits and shares only
 * common < old->cidr bits with key. Either the new node becomes old's
 * parent, or a branching node at bit common gets both. Returns the new
 * node, NULL (trie unchanged) if out of memory.
 */
static struct allowedips_node *node_split(struct allowedips_node **slot,
					  struct allowedips_node *old,
					  const uint32_t *key,
					  unsigned int nwords,
					  unsigned int cidr,
					  unsigned int common)
{
	struct allowedips_node *parent = old->parent, *entry, *branch;

	if (common == cidr) {
		entry = node_new(key, nwords, cidr, parent);
		if (!entry)
			return NULL;
		entry->child[key_bit(old->bits, cidr)] = old;
		old->parent = entry;
		*slot = entry;
		return entry;
	}
	branch = node_new(key, nwords, common, parent);
	entry = node_new(key, nwords, cidr, branch);
	if (!branch || !entry) {
		free(branch);
		free(entry);
		return NULL;
	}
	branch->child[key_bit(key, common)] = entry;
	branch->child[key_bit(old->bits, common)] = old;
	old->parent = branch;
	*slot = branch;
	return entry;
}

/* Returns the node for key/cidr, creating it (and a branch) if needed. */
static struct allowedips_node *node_get(struct allowedips *table,
					const uint32_t *key,
					unsigned int nwords, unsigned int cidr)
{
	struct allowedips_node **slot = root_slot(table, nwords);
	struct allowedips_node *node, *parent = NULL;
	unsigned int common;

	while ((node = *slot)) {
		common = common_bits(node, key,
				     node->cidr < cidr ? node->cidr : cidr);
		if (common < node->cidr)
			break;
		if (node->cidr == cidr)
			return node;
		parent = node;
		slot = &node->child[key_bit(key, node->cidr)];
	}
	if (!node) {
		*slot = node_new(key, nwords, cidr, parent);
		return *slot;
	}
	return node_split(slot, node, key, nwords, cidr, common);
}

static int parse_prefix(uint32_t *key, unsigned int *nwords, int family,
			const uint8_t *addr, uint8_t cidr)
{
	*nwords = family_words(family);
	if (!*nwords || !addr || cidr > 32 * *nwords)
		return -EINVAL;
	/* host bits are left in: every comparison stops at cidr and
	 * node_new() masks what it stores */
	key_from_bytes(key, addr, *nwords);
	return 0;
}

void allowedips_init(struct allowedips *table)
{
	table->root4 = NULL;
	table->root6 = NULL;
	table->seq = 0;
}

/* Frees a whole subtree without recursion, emptying owners' lists. */
static void subtree_free(struct allowedips_node *node)
{
	struct allowedips_node *next;

	while (node) {
		if (node->child[0] || node->child[1]) {
			next = node->child[0] ? node->child[0] : node->child[1];
			node->child[next == node->child[1]] = NULL;
			node = next;
			continue;
		}
		next = node->parent;
		if (node->owner)
			owner_unlink(node);
		free(node);
		node = next;
	}
}

void allowedips_free(struct allowedips *table)
{
	subtree_free(table->root4);
	subtree_free(table->root6);
	table->root4 = NULL;
	table->root6 = NULL;
	table->seq++;
}

int allowedips_insert(struct allowedips *table, int family, const uint8_t *addr,
		      uint8_t cidr, struct allowedips_owner *owner)
{
	uint32_t key[MAX_WORDS];
	struct allowedips_node *node;
	unsigned int nwords;
	int ret;

	ret = parse_prefix(key, &nwords, family, addr, cidr);
	if (ret || !owner)
		return ret ? ret : -EINVAL;
	node = node_get(table, key, nwords, cidr);
	if (!node)
		return -ENOMEM;
	if (node->owner != owner) {
		node_set_owner(node, owner);
		table->seq++;
	}
	return 0;
}

int allowedips_remove(struct allowedips *table, int family, const uint8_t *addr,
		      uint8_t cidr, struct allowedips_owner *owner)
{
	uint32_t key[MAX_WORDS];
	struct allowedips_node *node;
	unsigned int nwords;

	if (parse_prefix(key, &nwords, family, addr, cidr))
		return -ENOENT;
	node = node_find(*root_slot(table, nwords), key, cidr);
	if (!node || !owner || node->owner != owner)
		return -ENOENT;
	owner_unlink(node);
	node_collapse(table, node);
	table->seq++;
	return 0;
}

void allowedips_remove_by_owner(struct allowedips *table,
				struct allowedips_owner *owner)
{
	struct allowedips_node *node;

	if (!owner->first)
		return;
	while ((node = owner->first)) {
		owner_unlink(node);
		node_collapse(table, node);
	}
	table->seq++;
}

/* Data-plane hot path: one pass down the trie, remembering the last entry
 * whose prefix covered addr. */
struct allowedips_owner *allowedips_lookup(const struct allowedips *table,
					   int family, const uint8_t *addr)
{
	const struct allowedips_node *node;
	struct allowedips_owner *best = NULL;
	uint32_t key[MAX_WORDS];
	unsigned int nwords, maxbits;

	nwords = family_words(family);
	if (!nwords)
		return NULL;
	key_from_bytes(key, addr, nwords);
	maxbits = 32 * nwords;
	node = nwords == WORDS_V4 ? table->root4 : table->root6;
	while (node && prefix_matches(node, key)) {
		if (node->owner)
			best = node->owner;
		if (node->cidr == maxbits)
			break;
		node = node->child[key_bit(key, node->cidr)];
	}
	return best;
}

int allowedips_walk_by_owner(const struct allowedips_owner *owner,
			     allowedips_walk_fn fn, void *ctx)
{
	const struct allowedips_node *node;
	uint8_t addr[4 * MAX_WORDS];
	int ret;

	for (node = owner->first; node; node = node->owner_next) {
		key_to_bytes(addr, node->bits, node->nwords);
		ret = fn(ctx, node->nwords == WORDS_V4 ? AF_INET : AF_INET6,
			 addr, node->cidr);
		if (ret)
			return ret;
	}
	return 0;
}

/* One node's invariants: masked bits, a branching node really branches, an
 * entry is on its owner's list, each child extends our prefix on the side
 * its slot says and points back at us. */
static bool node_is_sane(const struct allowedips_node *node,
			 unsigned int nwords)
{
	const struct allowedips_node *child;
	uint32_t masked[MAX_WORDS];
	unsigned int b;

	memcpy(masked, node->bits, nwords * sizeof(masked[0]));
	key_mask(masked, nwords, node->cidr);
	if (node->nwords != nwords || node->cidr > 32 * nwords ||
	    memcmp(masked, node->bits, nwords * sizeof(masked[0])))
		return false;
	if (!node->owner && !(node->child[0] && node->child[1]))
		return false;
	if (node->owner && *node->owner_pprev != node)
		return false;
	for (b = 0; b < 2; b++) {
		child = node->child[b];
		if (child && (child->parent != node ||
			      child->cidr <= node->cidr ||
			      child->nwords != nwords ||
			      !prefix_matches(node, child->bits) ||
			      key_bit(child->bits, node->cidr) != b))
			return false;
	}
	return true;
}

/*
 * Not in allowedips.h: for allowedips_test.c only, which declares it.
 * Visits every node of one family's trie, without recursion, checking
 * node_is_sane(). Returns the number of nodes, -1 on a broken invariant.
 */
long allowedips_debug_check(const struct allowedips *table, int family)
{
	const struct allowedips_node *node, *prev = NULL, *next;
	unsigned int nwords = family_words(family);
	long count = 0;

	if (!nwords)
		return -1;
	node = nwords == WORDS_V4 ? table->root4 : table->root6;
	if (node && node->parent)
		return -1;
	while (node) {
		if (prev == node->parent) {
			if (!node_is_sane(node, nwords))
				return -1;
			count++;
			next = node->child[0] ? node->child[0] : node->child[1];
		} else if (prev == node->child[0]) {
			next = node->child[1];
		} else {
			next = NULL;
		}
		prev = node;
		node = next ? next : node->parent;
	}
	return count;
}
