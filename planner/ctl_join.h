/* SPDX-License-Identifier: MIT */
/*
 * Joining a node (docs/control.md, "Joining a node"): the invitation
 * token `lanwire invite` prints and `lanwire join` redeems, and the join
 * grant the admin signs at invite time for the hubs' serve.
 *
 *   token  "lwjoin1:" + base64 of a binary record: version, expiry, the
 *          one-time secret, a throwaway bootstrap WireGuard private key,
 *          the network's Ed25519 public key, the hub's WireGuard public
 *          key, the hub pair's preshared key, and the names and addresses
 *          the new machine needs to reach the hub. It is a secret: never
 *          logged, wiped after use.
 *   grant  JSON signed with the network key ("lanwire-grant-v1\n" then
 *          the object without "sig", compact, sorted keys): {network,
 *          node, expires, secret_hash (BLAKE2s of the secret), bootstrap
 *          (the bootstrap public key), sig}. serve redeems a secret only
 *          against a grant that verifies: a hub cannot invent one.
 *
 * Ownership: struct ctl_token and struct ctl_grant are plain values; the
 * caller wipes a token (ctl_token_wipe()).
 */
#ifndef LW_CTL_JOIN_H
#define LW_CTL_JOIN_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

#define CTL_TOKEN_PREFIX "lwjoin1:"
#define CTL_TOKEN_VERSION 1
/* The longest token text anyone reads (a QR code holds about 2,900). */
#define CTL_TOKEN_MAX 1024
#define CTL_ENDPOINT_MAX 64
/* Default and longest lifetime of an invitation. */
#define CTL_INVITE_SECONDS 3600
#define CTL_INVITE_MAX_SECONDS (7 * 24 * 3600)

struct ctl_token {
	uint64_t expires; /* unix seconds */
	uint8_t secret[LW_KEY_LEN];
	uint8_t boot_priv[LW_KEY_LEN]; /* the bootstrap WireGuard key */
	uint8_t network_pub[32];       /* Ed25519: verifies states */
	uint8_t hub_pub[LW_KEY_LEN];
	bool has_psk;
	uint8_t psk[LW_KEY_LEN]; /* the hub pair's preshared key */
	char network[LW_NAME_MAX + 1];
	char node[LW_NAME_MAX + 1];
	char iface[LW_IFNAME_MAX + 1];
	char hub[LW_NAME_MAX + 1];
	char endpoint[CTL_ENDPOINT_MAX]; /* the hub's, host:port */
	char addr[LW_PREFIX_STRLEN];	 /* the node's, e.g. 10.70.0.30/24 */
	char hub_addr[LW_PREFIX_STRLEN]; /* the hub's tunnel address */
};

/* The token's text (caller wipes and frees). NULL: no memory or a field
 * too long. */
char *ctl_token_encode(const struct ctl_token *t);
/*
 * Parses a token text (surrounding white space allowed). Every field is
 * checked: prefix, base64, version, exact length, names, addresses,
 * endpoint. 0, or -EINVAL with a message in err (which never quotes the
 * token); t is wiped on failure.
 */
int ctl_token_parse(struct ctl_token *t, const char *text, char *err,
		    size_t errlen);
void ctl_token_wipe(struct ctl_token *t);

struct ctl_grant {
	char network[LW_NAME_MAX + 1];
	char node[LW_NAME_MAX + 1];
	uint64_t expires;
	uint8_t secret_hash[32];
	uint8_t boot_pub[LW_KEY_LEN];
};

/* The hash a grant holds of a secret. */
void ctl_secret_hash(uint8_t out[static 32],
		     const uint8_t secret[static LW_KEY_LEN]);
/* The grant signed, as text (caller frees); NULL on failure. */
char *ctl_grant_sign(EVP_PKEY *key, const struct ctl_grant *g);
/* Parses and verifies a grant (at most 4096 bytes, exactly its six
 * fields, the signature with pub). 0 or -EBADMSG / -EPERM with a message
 * in err; g untouched unless 0. */
int ctl_grant_parse(struct ctl_grant *g, const char *text, size_t len,
		    EVP_PKEY *pub, char *err, size_t errlen);
/*
 * Whether a redemption of g by node (the tunnel source says which) with
 * secret may go ahead at time now: 0, -EXDEV (another node's grant),
 * -EALREADY (redeemed before), -ETIMEDOUT (expired), -EPERM (wrong
 * secret: compared in constant time). Checked in that order.
 */
int ctl_grant_check(const struct ctl_grant *g, const char *node,
		    const uint8_t secret[static LW_KEY_LEN], uint64_t now,
		    bool redeemed, char *err, size_t errlen);

#endif
