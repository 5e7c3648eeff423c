/* SPDX-License-Identifier: MIT */
/*
 * The control plane (docs/control.md): desired state per node, signed
 * with the network's Ed25519 key, relayed by every hub's `lanwire serve`
 * and applied by each node's `lanwire agent` through lanwire up's code.
 *
 *   ctl_sign.c   the network key (made once, 0600 files, atomic), base64,
 *                the signed envelope {network, node, epoch, state, sig}
 *                and its strict parser
 *   ctl_seal.c   per-pair preshared keys sealed to the receiving node's
 *                X25519 public key (ephemeral X25519, HMAC-BLAKE2s,
 *                ChaCha20-Poly1305): a hub relaying state cannot read them
 *   ctl_state.c  a node's plan -> state (JSON), and a verified state ->
 *                a plan lanwire up's apply_up() takes
 *   ctl_store.c  the store publish writes and serve reads: one envelope
 *                per node, an index (epoch, node addresses, digests)
 *
 * The envelope's signature covers "lanwire-state-v1\n" followed by the
 * object without "sig" as jansson writes it compact with sorted keys, so
 * any text that parses to the same object verifies, and nothing else.
 *
 * Ownership: struct ctl_envelope owns its state (ctl_envelope_free());
 * struct ctl_plan owns everything its plan points to (ctl_plan_free()).
 * EVP_PKEY pointers are the caller's (EVP_PKEY_free()).
 */
#ifndef LW_CTL_H
#define LW_CTL_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_switch.h"
#include "model.h"

#define CTL_PORT 8471
/* The largest envelope anyone accepts, read or received. */
#define CTL_MAX_ENVELOPE (1u << 20)
/* How long serve holds a request for a newer epoch before 204. */
#define CTL_POLL_SECONDS 50
#define CTL_SIG_LEN 64
#define CTL_SEALED_LEN (X25519_KEY_LEN + LW_KEY_LEN + 16)
/* Key files in the key directory: the private key (base64 of the
 * 32-byte Ed25519 seed, 0600) and "NETWORK BASE64\n" for nodes. */
#define CTL_KEY_FILE "control.key"
#define CTL_PUB_FILE "control.pub"

/* ---- ctl_sign.c ---- */

/* Standard base64 (with padding) of n bytes; caller frees. NULL: no
 * memory. */
char *ctl_b64_encode(const uint8_t *in, size_t n);
/* Exactly n bytes from their one canonical base64 text. 0 or -EINVAL. */
int ctl_b64_decode(uint8_t *out, size_t n, const char *s);
/* Writes the message into err (errlen bytes) and returns r: the one way
 * the control plane's readers say why they refuse. */
int ctl_fail(char *err, size_t errlen, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * The network key of key directory dir: loaded from dir/control.key, or
 * made (with control.pub beside it, written atomically, 0600) when
 * missing and may_make. *made says which. 0, -ENOENT (missing, not
 * made), -EINVAL (not a key: message in err) or -errno.
 */
int ctl_key_load(const char *dir, const char *network, bool may_make,
		 EVP_PKEY **key, bool *made, char *err, size_t errlen);
/* The public key and network name of a control.pub. 0 or -errno with a
 * message in err. */
int ctl_pub_load(const char *path, EVP_PKEY **pub, char *network,
		 size_t netlen, char *err, size_t errlen);

/* A verified envelope. */
struct ctl_envelope {
	char network[LW_NAME_MAX + 1];
	char node[LW_NAME_MAX + 1];
	uint64_t epoch;
	json_t *state; /* a reference held */
};

/* Signs body (borrowed; "sig" is added to it) with key over domain +
 * body as jansson writes it compact with sorted keys, and returns the
 * signed object as text (caller frees); NULL on failure. The envelope
 * and the join grant (ctl_invite.c) are signed this way, each under its
 * own domain string. */
char *ctl_json_sign(EVP_PKEY *key, const char *domain, json_t *body);
/* Whether root's "sig" (base64) verifies with pub over domain + root
 * without "sig", as ctl_json_sign() signs. */
bool ctl_json_sig_ok(json_t *root, EVP_PKEY *pub, const char *domain);

/* The envelope of state (borrowed), signed, as text (caller frees);
 * NULL on failure. */
char *ctl_envelope_sign(EVP_PKEY *key, const char *network, const char *node,
			uint64_t epoch, json_t *state);
/*
 * Parses and verifies len bytes of text. Checked in this order, and
 * nothing of it is used before the signature holds: at most
 * CTL_MAX_ENVELOPE bytes (-EMSGSIZE), JSON with exactly the five fields
 * of the right types (-EBADMSG), the signature with pub (-EPERM), network
 * and node equal to those given (-EXDEV; NULL: any), epoch greater than
 * after (-ESTALE). A message saying what was wrong in err; e untouched
 * unless 0 is returned.
 */
int ctl_envelope_parse(struct ctl_envelope *e, const char *text, size_t len,
		       EVP_PKEY *pub, const char *network, const char *node,
		       uint64_t after, char *err, size_t errlen);
void ctl_envelope_free(struct ctl_envelope *e);
/* The "epoch" of an envelope's text without verifying it (serve: which
 * file is newer); 0 when there is none. */
uint64_t ctl_envelope_peek_epoch(const char *text, size_t len);

/* ---- ctl_seal.c ---- */

/* Seals key to the X25519 public key to, bound to context (the network,
 * node and peer names): ephemeral public key || ciphertext || tag, as
 * base64 (caller frees). NULL on failure. */
char *ctl_seal(const uint8_t key[static LW_KEY_LEN],
	       const uint8_t to[static LW_KEY_LEN], const char *context);
/* Opens a sealed key with the receiver's private key. 0, or -EBADMSG
 * (malformed, tampered, another context or another receiver); out is
 * wiped on failure. */
int ctl_unseal(uint8_t out[static LW_KEY_LEN], const char *sealed,
	       const uint8_t priv[static LW_KEY_LEN], const char *context);

/* ---- ctl_state.c ---- */

/* The network's name as envelopes and sealed keys carry it. */
const char *ctl_network_name(const struct lw_desc *d);

/*
 * The desired state of pl's node as JSON (caller's reference): the
 * interface, MTU, port, addresses, routes, sysctls, the nft ruleset
 * (render_nft_host_ruleset(), as up loads it: a Linux client's too), the
 * hubs' tunnel addresses and the
 * peers, each preshared key sealed to self_pub (seal) or, for comparing
 * two publishes, replaced by a keyed digest of it (!seal). No private
 * key is ever in it. NULL with a message in err.
 */
json_t *ctl_state_build(const struct lw_node_plan *pl,
			const uint8_t self_pub[static LW_KEY_LEN],
			const char *source, bool seal, char *err,
			size_t errlen);

/* A state turned back into a plan for apply_up(): the desc holds only
 * the names of the node and its peers (network: borrowed). */
struct ctl_plan {
	struct lw_desc desc;
	struct lw_node_plan pl;
	char *nft;		      /* the ruleset to load; "" none */
	char *sysctls[LW_FAMILIES];   /* pl.sysctls point here */
	struct lw_prefix hubs[8];     /* the hubs' tunnel addresses */
	size_t n_hubs;
	/* key rotations (ctl_switch.h): the peers whose entries carry
	 * replaces/switch_at, and this node's own switch time (0: none) */
	struct ctl_switch *switches;
	size_t n_switches;
	uint64_t switch_at;
};

/*
 * Reads a verified state for node (named in the envelope), with the
 * optional rotation fields "switch_at" (the state's and a peer's, Unix
 * ms > 0) and a peer's "replaces" (a key, not the peer's own, only
 * with switch_at). priv opens
 * the sealed keys; key_path is where wg finds the private key. Every
 * field is checked (types, prefixes, names, counts); 0 or -EBADMSG /
 * -ENOMEM with a message in err, and nothing to free then.
 */
int ctl_state_plan(struct ctl_plan *cp, const json_t *state,
		   const char *network, const char *node,
		   const uint8_t priv[static LW_KEY_LEN], const char *key_path,
		   char *err, size_t errlen);
void ctl_plan_free(struct ctl_plan *cp);

#endif
