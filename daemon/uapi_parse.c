// SPDX-License-Identifier: MIT
/*
 * Parser of the cross-platform UAPI "set=1" transaction (wireguard.com/
 * xplatform, "Configuration Protocol") into struct uapi_set. Each line is
 * "key=value"; the key is looked up in one table that says whether it is a
 * device key, a peer key, or public_key (which opens a new peer), and one
 * small setter per key checks and stores its value. Nothing is applied
 * here: the device applies the whole model or none of it. Values are taken
 * as strictly as the wg tool writes them (ipc-uapi.h) and as wireguard-go
 * reads them (device/uapi.go): exact key names, no blanks, decimal numbers
 * of digits only, keys of exactly 64 hex digits, endpoints as endpoint.c
 * reads them.
 *
 * error_line counts the lines handed to uapi_set_parse_line(): after an
 * error it is the 1-based number of the failing line (line 1 is the first
 * line after "set=1"); after success it is the number of lines parsed.
 * After an error the model is only fit for uapi_set_free().
 */
#include "uapi_parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "prefix.h"
#include "uapi_names.h"

#define ARRAY_MIN_CAP 8
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

_Static_assert(NOISE_PUBLIC_KEY_LEN == HEXKEY_KEY_LEN,
	       "common/key.h reads and writes the UAPI's keys");
_Static_assert(NOISE_PUBLIC_KEY_LEN == NOISE_SYMMETRIC_KEY_LEN,
	       "key_from_hex decodes both kinds of key");

/* Where a key may appear in the transaction. */
enum key_scope {
	KEY_DEVICE,	/* before the first public_key */
	KEY_PEER,	/* after a public_key, about that peer */
	KEY_PEER_START, /* public_key itself: opens a new peer */
};

struct uapi_key {
	const char *name;
	size_t name_len;
	enum key_scope scope;
	int (*set)(struct uapi_set *s, const char *value, size_t len);
};

/* ---- values ------------------------------------------------------------ */

static bool value_is(const char *value, size_t len, const char *literal)
{
	return len == strlen(literal) && !memcmp(value, literal, len);
}

/* The boolean keys have one legal value; wireguard-go rejects the rest. */
static int parse_true(const char *value, size_t len, bool *flag)
{
	if (!value_is(value, len, "true"))
		return -EINVAL;
	*flag = true;
	return 0;
}

/* Digits only (no sign, blank, base prefix), at most max. */
static int parse_decimal(const char *value, size_t len, uint32_t max,
			 uint32_t *out)
{
	uint64_t n = 0;
	size_t i;

	if (!len)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (value[i] < '0' || value[i] > '9')
			return -EINVAL;
		n = n * 10 + (uint64_t)(value[i] - '0');
		if (n > max)
			return -EINVAL;
	}
	*out = (uint32_t)n;
	return 0;
}

/* "ADDR/CIDR", read by common/prefix.c: the family is v6 iff ADDR has a
 * ':', as in wg's config.c; the length in decimal without a leading zero,
 * as netip.ParsePrefix reads it. The UAPI always writes the length. Host
 * bits are cleared here, as the trie would (allowedips.c). */
static int parse_allowed_ip(struct uapi_allowed_ip *ip, const char *value,
			    size_t len)
{
	struct lw_prefix p;

	memset(ip, 0, sizeof(*ip));
	if (!memchr(value, '/', len) || prefix_parse_n(&p, value, len, true))
		return -EINVAL;
	ip->family = p.family;
	ip->cidr = p.len;
	memcpy(ip->addr, p.addr, sizeof(ip->addr));
	return 0;
}

/* ---- model arrays ------------------------------------------------------ */

/* Doubling keeps a transaction of n lines O(n); refuse what cannot fit. */
static int next_capacity(size_t cap, size_t elem_size, size_t *next)
{
	size_t base = cap ? cap : ARRAY_MIN_CAP / 2;

	if (base > SIZE_MAX / 2 / elem_size)
		return -ENOMEM;
	*next = base * 2;
	return 0;
}

/*
 * The peers array holds preshared keys, so it is not realloc()ed: the old
 * block is copied, wiped and only then freed.
 */
static int grow_peers(struct uapi_set *s)
{
	struct uapi_peer *peers;
	size_t cap;

	if (next_capacity(s->cap_peers, sizeof(*peers), &cap))
		return -ENOMEM;
	peers = malloc(cap * sizeof(*peers));
	if (!peers)
		return -ENOMEM;
	if (s->peers) {
		memcpy(peers, s->peers, s->n_peers * sizeof(*peers));
		explicit_bzero(s->peers, s->n_peers * sizeof(*peers));
		free(s->peers);
	}
	s->peers = peers;
	s->cap_peers = cap;
	return 0;
}

static int grow_allowed_ips(struct uapi_peer *peer)
{
	struct uapi_allowed_ip *ips;
	size_t cap;

	if (next_capacity(peer->cap_allowed_ips, sizeof(*ips), &cap))
		return -ENOMEM;
	ips = realloc(peer->allowed_ips, cap * sizeof(*ips));
	if (!ips)
		return -ENOMEM;
	peer->allowed_ips = ips;
	peer->cap_allowed_ips = cap;
	return 0;
}

static struct uapi_peer *last_peer(struct uapi_set *s)
{
	return &s->peers[s->n_peers - 1];
}

/* ---- device keys ------------------------------------------------------- */

/* All zero is legal and means "remove the private key". */
static int set_private_key(struct uapi_set *s, const char *value, size_t len)
{
	int ret = key_from_hex(s->private_key, value, len);

	if (!ret)
		s->has_private_key = true;
	return ret;
}

static int set_listen_port(struct uapi_set *s, const char *value, size_t len)
{
	uint32_t port;
	int ret = parse_decimal(value, len, UINT16_MAX, &port);

	if (ret)
		return ret;
	s->listen_port = (uint16_t)port;
	s->has_listen_port = true;
	return 0;
}

/* wg sends fwmark=0 to clear the mark. */
static int set_fwmark(struct uapi_set *s, const char *value, size_t len)
{
	int ret = parse_decimal(value, len, UINT32_MAX, &s->fwmark);

	if (!ret)
		s->has_fwmark = true;
	return ret;
}

static int set_replace_peers(struct uapi_set *s, const char *value, size_t len)
{
	return parse_true(value, len, &s->replace_peers);
}

/* ---- peer keys --------------------------------------------------------- */

/*
 * Opens a new peer op. A key seen twice in one transaction gives two ops,
 * applied in order: wg emits that for two [Peer] sections with one key.
 */
static int set_public_key(struct uapi_set *s, const char *value, size_t len)
{
	uint8_t key[NOISE_PUBLIC_KEY_LEN];
	struct uapi_peer *peer;
	int ret;

	ret = key_from_hex(key, value, len);
	if (ret)
		return ret;
	if (s->n_peers == s->cap_peers && grow_peers(s))
		return -ENOMEM;
	peer = &s->peers[s->n_peers++];
	memset(peer, 0, sizeof(*peer));
	memcpy(peer->public_key, key, sizeof(key));
	return 0;
}

static int set_remove(struct uapi_set *s, const char *value, size_t len)
{
	return parse_true(value, len, &last_peer(s)->remove);
}

static int set_update_only(struct uapi_set *s, const char *value, size_t len)
{
	return parse_true(value, len, &last_peer(s)->update_only);
}

/* All zero is legal and means "no preshared key". */
static int set_preshared_key(struct uapi_set *s, const char *value,
			     size_t len)
{
	struct uapi_peer *peer = last_peer(s);
	int ret = key_from_hex(peer->preshared_key, value, len);

	if (!ret)
		peer->has_preshared_key = true;
	return ret;
}

static int set_endpoint(struct uapi_set *s, const char *value, size_t len)
{
	struct uapi_peer *peer = last_peer(s);
	int ret = endpoint_parse(&peer->endpoint, value, len);

	if (!ret)
		peer->has_endpoint = true;
	return ret;
}

static int set_persistent_keepalive_interval(struct uapi_set *s,
					     const char *value, size_t len)
{
	struct uapi_peer *peer = last_peer(s);
	uint32_t secs;
	int ret = parse_decimal(value, len, UINT16_MAX, &secs);

	if (ret)
		return ret;
	peer->persistent_keepalive_interval = (uint16_t)secs;
	peer->has_persistent_keepalive = true;
	return 0;
}

/*
 * As wireguard-go, which empties the peer's allowed IPs where the line
 * stands: the peer's own allowed IPs and those of this op's allowed_ip
 * lines before it go, the lines after it stay.
 */
static int set_replace_allowed_ips(struct uapi_set *s, const char *value,
				   size_t len)
{
	struct uapi_peer *peer = last_peer(s);
	int ret = parse_true(value, len, &peer->replace_allowed_ips);

	if (!ret)
		peer->n_allowed_ips = 0;
	return ret;
}

static int set_allowed_ip(struct uapi_set *s, const char *value, size_t len)
{
	struct uapi_peer *peer = last_peer(s);
	struct uapi_allowed_ip ip;
	int ret;

	ret = parse_allowed_ip(&ip, value, len);
	if (ret)
		return ret;
	if (peer->n_allowed_ips == peer->cap_allowed_ips &&
	    grow_allowed_ips(peer))
		return -ENOMEM;
	peer->allowed_ips[peer->n_allowed_ips++] = ip;
	return 0;
}

/* lanwired only: the peer whose AllowedIPs this one takes over. */
static int set_replaces(struct uapi_set *s, const char *value, size_t len)
{
	struct uapi_peer *peer = last_peer(s);
	int ret = key_from_hex(peer->replaces, value, len);

	if (!ret)
		peer->has_replaces = true;
	return ret;
}

/* 0 (off) or min..max ms, for lanwired's timer keys. */
static int parse_ms(const char *value, size_t len, uint32_t min, uint32_t max,
		    uint16_t *out)
{
	uint32_t ms;
	int ret = parse_decimal(value, len, max, &ms);

	if (ret)
		return ret;
	if (ms && ms < min)
		return -EINVAL;
	*out = (uint16_t)ms;
	return 0;
}

/* lanwired only: 0 (off) or UAPI_PROBE_MIN_MS..UAPI_PROBE_MAX_MS; below
 * the minimum it would flood the other end with initiations, above the
 * maximum it would retry slower than REKEY_TIMEOUT. */
static int set_probe_ms(struct uapi_set *s, const char *value, size_t len)
{
	struct uapi_peer *peer = last_peer(s);
	int ret = parse_ms(value, len, UAPI_PROBE_MIN_MS, UAPI_PROBE_MAX_MS,
			   &peer->probe_ms);

	peer->has_probe_ms = !ret;
	return ret;
}

/* lanwired only: 0 (off) or UAPI_CARRIER_MIN_MS..UAPI_CARRIER_MAX_MS;
 * below the minimum a link's BFD (100 ms) would flap it. */
static int set_carrier_ms(struct uapi_set *s, const char *value, size_t len)
{
	struct uapi_peer *peer = last_peer(s);
	int ret = parse_ms(value, len, UAPI_CARRIER_MIN_MS,
			   UAPI_CARRIER_MAX_MS, &peer->carrier_ms);

	peer->has_carrier_ms = !ret;
	return ret;
}

/* Only version 1 exists; wireguard-go answers -EINVAL for another. */
static int set_protocol_version(struct uapi_set *s, const char *value,
				size_t len)
{
	(void)s;
	return value_is(value, len, "1") ? 0 : -EINVAL;
}

/* ---- dispatch ---------------------------------------------------------- */

#define UAPI_KEY(name, scope, set) { name, sizeof(name) - 1, scope, set }

static const struct uapi_key uapi_keys[] = {
	UAPI_KEY(UAPI_PRIVATE_KEY, KEY_DEVICE, set_private_key),
	UAPI_KEY(UAPI_LISTEN_PORT, KEY_DEVICE, set_listen_port),
	UAPI_KEY(UAPI_FWMARK, KEY_DEVICE, set_fwmark),
	UAPI_KEY(UAPI_REPLACE_PEERS, KEY_DEVICE, set_replace_peers),
	UAPI_KEY(UAPI_PUBLIC_KEY, KEY_PEER_START, set_public_key),
	UAPI_KEY(UAPI_REMOVE, KEY_PEER, set_remove),
	UAPI_KEY(UAPI_UPDATE_ONLY, KEY_PEER, set_update_only),
	UAPI_KEY(UAPI_PRESHARED_KEY, KEY_PEER, set_preshared_key),
	UAPI_KEY(UAPI_ENDPOINT, KEY_PEER, set_endpoint),
	UAPI_KEY(UAPI_PERSISTENT_KEEPALIVE, KEY_PEER,
		 set_persistent_keepalive_interval),
	UAPI_KEY(UAPI_REPLACE_ALLOWED_IPS, KEY_PEER, set_replace_allowed_ips),
	UAPI_KEY(UAPI_ALLOWED_IP, KEY_PEER, set_allowed_ip),
	UAPI_KEY(UAPI_PROTOCOL_VERSION, KEY_PEER, set_protocol_version),
	UAPI_KEY(UAPI_REPLACES, KEY_PEER, set_replaces),
	UAPI_KEY(UAPI_PROBE_MS, KEY_PEER, set_probe_ms),
	UAPI_KEY(UAPI_CARRIER_MS, KEY_PEER, set_carrier_ms),
};

static const struct uapi_key *key_lookup(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(uapi_keys); i++) {
		if (uapi_keys[i].name_len == len &&
		    !memcmp(uapi_keys[i].name, name, len))
			return &uapi_keys[i];
	}
	return NULL;
}

/*
 * A key is unknown where it does not belong, as in wireguard-go: a peer key
 * before the first public_key ("invalid UAPI device key"), a device key
 * after it ("invalid UAPI peer key").
 */
static int key_check_scope(const struct uapi_set *s, const struct uapi_key *k)
{
	if (k->scope == KEY_PEER && !s->n_peers)
		return -EINVAL;
	if (k->scope == KEY_DEVICE && s->n_peers)
		return -EINVAL;
	return 0;
}

/* ---- public ------------------------------------------------------------ */

void uapi_set_init(struct uapi_set *s)
{
	memset(s, 0, sizeof(*s));
}

int uapi_set_parse_line(struct uapi_set *s, const char *line, size_t len)
{
	const struct uapi_key *k;
	const char *eq;
	size_t key_len;
	int ret;

	s->error_line++;
	if (!len || memchr(line, '\0', len))
		return -EINVAL;
	eq = memchr(line, '=', len);
	if (!eq)
		return -EPROTO; /* wireguard-go: "failed to parse line" */
	key_len = (size_t)(eq - line);
	k = key_lookup(line, key_len);
	if (!k)
		return -EINVAL;
	ret = key_check_scope(s, k);
	if (ret)
		return ret;
	return k->set(s, eq + 1, len - key_len - 1);
}

/* Wipes every key, frees every array and leaves s as uapi_set_init() did. */
void uapi_set_free(struct uapi_set *s)
{
	size_t i;

	for (i = 0; i < s->n_peers; i++)
		free(s->peers[i].allowed_ips);
	if (s->peers)
		explicit_bzero(s->peers, s->n_peers * sizeof(*s->peers));
	free(s->peers);
	explicit_bzero(s, sizeof(*s));
}

/* Initialises s itself; the caller frees it, on success and on error. */
int uapi_set_parse(struct uapi_set *s, const char *text, size_t len)
{
	const char *end, *nl;
	size_t line_len;
	int ret;

	uapi_set_init(s);
	if (!len)
		return 0;
	end = text + len;
	for (;;) {
		nl = memchr(text, '\n', (size_t)(end - text));
		line_len = nl ? (size_t)(nl - text) : (size_t)(end - text);
		if (!line_len)
			return 0;
		ret = uapi_set_parse_line(s, text, line_len);
		if (ret)
			return ret;
		if (!nl || nl + 1 == end)
			return 0;
		text = nl + 1;
	}
}
