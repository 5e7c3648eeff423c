// SPDX-License-Identifier: MIT
/*
 * Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s as WireGuard instantiates it
 * (whitepaper 5.4.2 "First Message", 5.4.3 "Second Message", 5.4.5
 * "Transport Data Key Derivation"); the slots its keypairs go into are
 * noise_keypairs.c. The Noise steps are labelled (e, es, s, ss, ...).
 * Every function that computes secrets wipes its temporaries at the out label.
 */
#include "noise.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

/* HASH(CONSTRUCTION) and HASH(HASH(CONSTRUCTION) || IDENTIFIER), computed
 * once: every handshake starts from them. */
static uint8_t handshake_init_chaining_key[NOISE_HASH_LEN];
static uint8_t handshake_init_hash[NOISE_HASH_LEN];
static bool handshake_init_ready;

static void noise_precompute_constants(void)
{
	if (handshake_init_ready)
		return;
	blake2s(handshake_init_chaining_key, NOISE_HASH_LEN, NULL, 0,
		(const uint8_t *)NOISE_CONSTRUCTION,
		strlen(NOISE_CONSTRUCTION));
	blake2s_2(handshake_init_hash, handshake_init_chaining_key,
		  NOISE_HASH_LEN, (const uint8_t *)NOISE_IDENTIFIER,
		  strlen(NOISE_IDENTIFIER));
	handshake_init_ready = true;
}

const char *noise_handshake_state_name(enum noise_handshake_state s)
{
	static const char *const names[] = {
		[HANDSHAKE_ZEROED] = "zeroed",
		[HANDSHAKE_CREATED_INITIATION] = "created-initiation",
		[HANDSHAKE_CONSUMED_INITIATION] = "consumed-initiation",
		[HANDSHAKE_CREATED_RESPONSE] = "created-response",
		[HANDSHAKE_CONSUMED_RESPONSE] = "consumed-response",
	};
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

const char *noise_result_name(enum noise_result r)
{
	static const char *const names[] = {
		[NOISE_OK] = "ok",
		[NOISE_INVALID] = "invalid",
		[NOISE_UNKNOWN_PEER] = "unknown-peer",
		[NOISE_REPLAYED] = "replayed-timestamp",
		[NOISE_FLOOD] = "initiation-flood",
		[NOISE_WRONG_STATE] = "wrong-state",
	};
	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

/*
 * KDF_n(key, input) of the whitepaper: t0 = HMAC(key, input),
 * t1 = HMAC(t0, 0x1), ti = HMAC(t0, t(i-1) || i). Outputs may be NULL.
 */
static void kdf(uint8_t *t1, uint8_t *t2, uint8_t *t3,
		const uint8_t chaining_key[static NOISE_HASH_LEN],
		const uint8_t *input, size_t input_len)
{
	uint8_t t0[BLAKE2S_HASH_LEN], prev[BLAKE2S_HASH_LEN + 1];
	uint8_t *outs[3] = { t1, t2, t3 };

	hmac_blake2s(t0, chaining_key, NOISE_HASH_LEN, input, input_len);
	for (unsigned i = 0; i < 3 && outs[i]; i++) {
		size_t n = 0;

		if (i > 0) {
			memcpy(prev, outs[i - 1], BLAKE2S_HASH_LEN);
			n = BLAKE2S_HASH_LEN;
		}
		prev[n++] = (uint8_t)(i + 1);
		hmac_blake2s(outs[i], t0, sizeof(t0), prev, n);
	}
	crypto_wipe(t0, sizeof(t0));
	crypto_wipe(prev, sizeof(prev));
}

static void mix_hash(uint8_t hash[static NOISE_HASH_LEN], const uint8_t *src,
		     size_t len)
{
	blake2s_2(hash, hash, NOISE_HASH_LEN, src, len);
}

/* C = KDF1(C, input) */
static void mix_key(uint8_t chaining_key[static NOISE_HASH_LEN],
		    const uint8_t *input, size_t len)
{
	kdf(chaining_key, NULL, NULL, chaining_key, input, len);
}

/* (C, k) = KDF2(C, dh) for dh just computed by one of the x25519 calls,
 * which said dh_ok; dh is wiped. False on a low-order point. */
static bool mix_dh(uint8_t chaining_key[static NOISE_HASH_LEN],
		   uint8_t key[static NOISE_SYMMETRIC_KEY_LEN],
		   uint8_t dh[static NOISE_PUBLIC_KEY_LEN], bool dh_ok)
{
	if (dh_ok)
		kdf(chaining_key, key, NULL, chaining_key, dh,
		    NOISE_PUBLIC_KEY_LEN);
	crypto_wipe(dh, NOISE_PUBLIC_KEY_LEN);
	return dh_ok;
}

/* A fresh ephemeral key from random's bytes: its bytes in priv, its
 * public half in pub, and its libcrypto form returned for the DHs that
 * follow, so that the public key is computed once. NULL on failure (priv
 * is then wiped). */
static struct x25519_key *ephemeral_generate(
	uint8_t priv[static NOISE_PUBLIC_KEY_LEN],
	uint8_t pub[static NOISE_PUBLIC_KEY_LEN], crypto_random_fn random)
{
	struct x25519_key *e = NULL;

	if (x25519_generate_private_from(priv, random) == 0)
		e = x25519_key_new(priv);
	if (!e) {
		crypto_wipe(priv, NOISE_PUBLIC_KEY_LEN);
		return NULL;
	}
	x25519_key_public(pub, e);
	return e;
}

/* Same with the precomputed static-static DH. */
static bool mix_precomputed_dh(uint8_t chaining_key[static NOISE_HASH_LEN],
			       uint8_t key[static NOISE_SYMMETRIC_KEY_LEN],
			       const struct noise_handshake *hs)
{
	if (!hs->has_valid_static_static)
		return false;
	kdf(chaining_key, key, NULL, chaining_key,
	    hs->precomputed_static_static, NOISE_PUBLIC_KEY_LEN);
	return true;
}

/* (C, tau, k) = KDF3(C, Q); H = HASH(H || tau) */
static void mix_psk(uint8_t chaining_key[static NOISE_HASH_LEN],
		    uint8_t hash[static NOISE_HASH_LEN],
		    uint8_t key[static NOISE_SYMMETRIC_KEY_LEN],
		    const uint8_t psk[static NOISE_SYMMETRIC_KEY_LEN])
{
	uint8_t tau[NOISE_HASH_LEN];

	kdf(chaining_key, tau, key, chaining_key, psk,
	    NOISE_SYMMETRIC_KEY_LEN);
	mix_hash(hash, tau, sizeof(tau));
	crypto_wipe(tau, sizeof(tau));
}

/* msg = AEAD(k, 0, plain, H); H = HASH(H || msg) */
static bool encrypt_and_hash(uint8_t *dst, const uint8_t *src, size_t len,
			     const uint8_t key[static NOISE_SYMMETRIC_KEY_LEN],
			     uint8_t hash[static NOISE_HASH_LEN])
{
	if (!chacha20poly1305_encrypt(dst, src, len, hash, NOISE_HASH_LEN, 0,
				      key))
		return false;
	mix_hash(hash, dst, noise_encrypted_len(len));
	return true;
}

static bool decrypt_and_hash(uint8_t *dst, const uint8_t *src, size_t len,
			     const uint8_t key[static NOISE_SYMMETRIC_KEY_LEN],
			     uint8_t hash[static NOISE_HASH_LEN])
{
	if (!chacha20poly1305_decrypt(dst, src, len, hash, NOISE_HASH_LEN, 0,
				      key))
		return false;
	mix_hash(hash, src, len);
	return true;
}

/* C = HASH(CONSTRUCTION), H = HASH(C || IDENTIFIER), H = HASH(H || S_resp) */
static void handshake_start(uint8_t chaining_key[static NOISE_HASH_LEN],
			    uint8_t hash[static NOISE_HASH_LEN],
			    const uint8_t responder_static[static NOISE_PUBLIC_KEY_LEN])
{
	noise_precompute_constants();
	memcpy(chaining_key, handshake_init_chaining_key, NOISE_HASH_LEN);
	memcpy(hash, handshake_init_hash, NOISE_HASH_LEN);
	mix_hash(hash, responder_static, NOISE_PUBLIC_KEY_LEN);
}

void noise_tai64n(uint8_t out[static NOISE_TIMESTAMP_LEN], uint64_t wall_ns)
{
	uint64_t secs = 0x400000000000000aULL + wall_ns / 1000000000ULL;
	/* Round the fraction down to a multiple of the initiation spacing so
	 * the stamp does not leak the precise clock (as the kernel does). */
	uint32_t nsec = (uint32_t)(wall_ns % 1000000000ULL);
	uint32_t gran = 1000000000U / INITIATIONS_PER_SECOND;
	uint64_t be_secs = htobe64(secs);
	uint32_t be_nsec = htobe32(nsec - nsec % gran);

	/* TAI64 label: 2^62 + 10 (TAI-UTC offset of the epoch) + seconds. */
	memcpy(out, &be_secs, 8);
	memcpy(out + 8, &be_nsec, 4);
}

void noise_local_set_private(struct noise_local *local,
			     const uint8_t *private_key)
{
	if (!private_key || crypto_is_zero(private_key, NOISE_PUBLIC_KEY_LEN)) {
		if (local->has_identity)
			x25519_static_forget(local->static_private);
		crypto_wipe(local, sizeof(*local));
		return;
	}
	if (local->has_identity &&
	    !crypto_equal(local->static_private, private_key,
			  NOISE_PUBLIC_KEY_LEN))
		x25519_static_forget(local->static_private);
	memcpy(local->static_private, private_key, NOISE_PUBLIC_KEY_LEN);
	x25519_static_public(local->static_public, local->static_private);
	local->has_identity = true;
}

bool noise_local_is_private(const struct noise_local *local,
			    const uint8_t private_key[static NOISE_PUBLIC_KEY_LEN])
{
	if (crypto_is_zero(private_key, NOISE_PUBLIC_KEY_LEN))
		return !local->has_identity;
	return local->has_identity &&
	       crypto_equal(local->static_private, private_key,
			    NOISE_PUBLIC_KEY_LEN);
}

void noise_handshake_precompute(struct noise_handshake *hs,
				const struct noise_local *local)
{
	hs->has_valid_static_static =
		local->has_identity &&
		x25519_static(hs->precomputed_static_static,
			      local->static_private, hs->remote_static);
}

void noise_handshake_init(struct noise_handshake *hs,
			  const struct noise_local *local,
			  const uint8_t remote_static[static NOISE_PUBLIC_KEY_LEN],
			  const uint8_t *preshared_key)
{
	memset(hs, 0, sizeof(*hs));
	memcpy(hs->remote_static, remote_static, NOISE_PUBLIC_KEY_LEN);
	if (preshared_key)
		memcpy(hs->preshared_key, preshared_key,
		       NOISE_SYMMETRIC_KEY_LEN);
	noise_handshake_precompute(hs, local);
}

void noise_handshake_clear(struct noise_handshake *hs)
{
	crypto_wipe(hs->ephemeral_private, sizeof(hs->ephemeral_private));
	crypto_wipe(hs->remote_ephemeral, sizeof(hs->remote_ephemeral));
	crypto_wipe(hs->hash, sizeof(hs->hash));
	crypto_wipe(hs->chaining_key, sizeof(hs->chaining_key));
	hs->local_index = 0;
	hs->remote_index = 0;
	hs->state = HANDSHAKE_ZEROED;
}

int noise_handshake_create_initiation(struct message_handshake_initiation *dst,
				      struct noise_handshake *hs,
				      const struct noise_local *local,
				      uint32_t local_index,
				      uint64_t now_wall_ns,
				      crypto_random_fn random)
{
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN];
	uint8_t dh[NOISE_PUBLIC_KEY_LEN];
	uint8_t timestamp[NOISE_TIMESTAMP_LEN];
	struct x25519_key *e = NULL;
	int ret = -EINVAL;

	if (!local->has_identity || !hs->has_valid_static_static)
		goto out;
	dst->header.type = htole32(MESSAGE_HANDSHAKE_INITIATION);
	handshake_start(hs->chaining_key, hs->hash, hs->remote_static);

	/* e */
	e = ephemeral_generate(hs->ephemeral_private,
			       dst->unencrypted_ephemeral, random);
	if (!e)
		goto out;
	mix_key(hs->chaining_key, dst->unencrypted_ephemeral,
		NOISE_PUBLIC_KEY_LEN);
	mix_hash(hs->hash, dst->unencrypted_ephemeral, NOISE_PUBLIC_KEY_LEN);

	/* es */
	if (!mix_dh(hs->chaining_key, key, dh,
		    x25519_key_dh(dh, e, hs->remote_static)))
		goto out;

	/* s */
	if (!encrypt_and_hash(dst->encrypted_static, local->static_public,
			      NOISE_PUBLIC_KEY_LEN, key, hs->hash))
		goto out;

	/* ss */
	if (!mix_precomputed_dh(hs->chaining_key, key, hs))
		goto out;

	/* {t} */
	noise_tai64n(timestamp, now_wall_ns);
	if (!encrypt_and_hash(dst->encrypted_timestamp, timestamp,
			      NOISE_TIMESTAMP_LEN, key, hs->hash))
		goto out;

	dst->sender_index = htole32(local_index);
	hs->local_index = local_index;
	hs->state = HANDSHAKE_CREATED_INITIATION;
	ret = 0;
out:
	if (ret)
		noise_handshake_clear(hs);
	x25519_key_free(e);
	crypto_wipe(key, sizeof(key));
	crypto_wipe(dh, sizeof(dh));
	return ret;
}

/* Timestamps are big-endian, so a byte-wise compare orders them. */
static bool timestamp_is_newer(const uint8_t a[static NOISE_TIMESTAMP_LEN],
			       const uint8_t b[static NOISE_TIMESTAMP_LEN])
{
	return memcmp(a, b, NOISE_TIMESTAMP_LEN) > 0;
}

enum noise_result noise_handshake_consume_initiation(
	const struct message_handshake_initiation *src,
	const struct noise_local *local, noise_lookup_fn lookup, void *ctx,
	uint64_t now_ns, struct noise_handshake **out)
{
	uint8_t chaining_key[NOISE_HASH_LEN], hash[NOISE_HASH_LEN];
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN];
	uint8_t dh[NOISE_PUBLIC_KEY_LEN];
	uint8_t s[NOISE_PUBLIC_KEY_LEN];
	uint8_t t[NOISE_TIMESTAMP_LEN];
	struct noise_handshake *hs = NULL;
	enum noise_result ret = NOISE_INVALID;
	uint64_t min_spacing = 1000000000ULL / INITIATIONS_PER_SECOND;

	*out = NULL;
	if (!local->has_identity)
		goto out;
	handshake_start(chaining_key, hash, local->static_public);

	/* e */
	mix_key(chaining_key, src->unencrypted_ephemeral, NOISE_PUBLIC_KEY_LEN);
	mix_hash(hash, src->unencrypted_ephemeral, NOISE_PUBLIC_KEY_LEN);

	/* es */
	if (!mix_dh(chaining_key, key, dh,
		    x25519_static(dh, local->static_private,
				  src->unencrypted_ephemeral)))
		goto out;

	/* s */
	if (!decrypt_and_hash(s, src->encrypted_static,
			      sizeof(src->encrypted_static), key, hash))
		goto out;

	/* Lookup: is this a peer we know? */
	hs = lookup(ctx, s);
	if (!hs) {
		ret = NOISE_UNKNOWN_PEER;
		goto out;
	}

	/* ss */
	if (!mix_precomputed_dh(chaining_key, key, hs))
		goto out;

	/* {t} */
	if (!decrypt_and_hash(t, src->encrypted_timestamp,
			      sizeof(src->encrypted_timestamp), key, hash))
		goto out;

	if (!timestamp_is_newer(t, hs->latest_timestamp)) {
		ret = NOISE_REPLAYED;
		goto out;
	}
	if (hs->last_initiation_consumption_ns &&
	    now_ns - hs->last_initiation_consumption_ns < min_spacing) {
		ret = NOISE_FLOOD;
		goto out;
	}

	/* Success: only now does the peer's state change. */
	memcpy(hs->remote_ephemeral, src->unencrypted_ephemeral,
	       NOISE_PUBLIC_KEY_LEN);
	memcpy(hs->latest_timestamp, t, NOISE_TIMESTAMP_LEN);
	memcpy(hs->hash, hash, NOISE_HASH_LEN);
	memcpy(hs->chaining_key, chaining_key, NOISE_HASH_LEN);
	crypto_wipe(hs->ephemeral_private, sizeof(hs->ephemeral_private));
	hs->remote_index = le32toh(src->sender_index);
	hs->last_initiation_consumption_ns = now_ns;
	hs->state = HANDSHAKE_CONSUMED_INITIATION;
	*out = hs;
	ret = NOISE_OK;
out:
	crypto_wipe(key, sizeof(key));
	crypto_wipe(dh, sizeof(dh));
	crypto_wipe(chaining_key, sizeof(chaining_key));
	crypto_wipe(hash, sizeof(hash));
	crypto_wipe(s, sizeof(s));
	crypto_wipe(t, sizeof(t));
	return ret;
}

int noise_handshake_create_response(struct message_handshake_response *dst,
				    struct noise_handshake *hs,
				    const struct noise_local *local,
				    uint32_t local_index,
				    crypto_random_fn random)
{
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN];
	uint8_t dh[NOISE_PUBLIC_KEY_LEN];
	struct x25519_key *e = NULL;
	int ret = -EINVAL;

	if (hs->state != HANDSHAKE_CONSUMED_INITIATION)
		goto out;
	dst->header.type = htole32(MESSAGE_HANDSHAKE_RESPONSE);
	dst->receiver_index = htole32(hs->remote_index);

	/* e */
	e = ephemeral_generate(hs->ephemeral_private,
			       dst->unencrypted_ephemeral, random);
	if (!e)
		goto out;
	mix_key(hs->chaining_key, dst->unencrypted_ephemeral,
		NOISE_PUBLIC_KEY_LEN);
	mix_hash(hs->hash, dst->unencrypted_ephemeral, NOISE_PUBLIC_KEY_LEN);

	/* ee */
	if (!x25519_key_dh(dh, e, hs->remote_ephemeral))
		goto out;
	mix_key(hs->chaining_key, dh, sizeof(dh));

	/* se */
	if (!x25519_key_dh(dh, e, hs->remote_static))
		goto out;
	mix_key(hs->chaining_key, dh, sizeof(dh));

	/* psk */
	mix_psk(hs->chaining_key, hs->hash, key, hs->preshared_key);

	/* {} */
	if (!encrypt_and_hash(dst->encrypted_nothing, (const uint8_t *)"", 0,
			      key, hs->hash))
		goto out;

	dst->sender_index = htole32(local_index);
	hs->local_index = local_index;
	hs->state = HANDSHAKE_CREATED_RESPONSE;
	ret = 0;
out:
	if (ret)
		noise_handshake_clear(hs);
	x25519_key_free(e);
	crypto_wipe(key, sizeof(key));
	crypto_wipe(dh, sizeof(dh));
	return ret;
}

enum noise_result noise_handshake_consume_response(
	const struct message_handshake_response *src,
	struct noise_handshake *hs, const struct noise_local *local)
{
	uint8_t chaining_key[NOISE_HASH_LEN], hash[NOISE_HASH_LEN];
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN];
	uint8_t dh[NOISE_PUBLIC_KEY_LEN];
	uint8_t nothing[1];
	enum noise_result ret = NOISE_INVALID;

	if (hs->state != HANDSHAKE_CREATED_INITIATION ||
	    hs->local_index != le32toh(src->receiver_index)) {
		ret = NOISE_WRONG_STATE;
		goto out;
	}
	if (!local->has_identity)
		goto out;
	memcpy(chaining_key, hs->chaining_key, NOISE_HASH_LEN);
	memcpy(hash, hs->hash, NOISE_HASH_LEN);

	/* e */
	mix_key(chaining_key, src->unencrypted_ephemeral, NOISE_PUBLIC_KEY_LEN);
	mix_hash(hash, src->unencrypted_ephemeral, NOISE_PUBLIC_KEY_LEN);

	/* ee */
	if (!x25519(dh, hs->ephemeral_private, src->unencrypted_ephemeral))
		goto out;
	mix_key(chaining_key, dh, sizeof(dh));

	/* se */
	if (!x25519_static(dh, local->static_private,
			   src->unencrypted_ephemeral))
		goto out;
	mix_key(chaining_key, dh, sizeof(dh));

	/* psk */
	mix_psk(chaining_key, hash, key, hs->preshared_key);

	/* {} */
	if (!decrypt_and_hash(nothing, src->encrypted_nothing,
			      sizeof(src->encrypted_nothing), key, hash))
		goto out;

	/* Success: commit. */
	memcpy(hs->remote_ephemeral, src->unencrypted_ephemeral,
	       NOISE_PUBLIC_KEY_LEN);
	memcpy(hs->hash, hash, NOISE_HASH_LEN);
	memcpy(hs->chaining_key, chaining_key, NOISE_HASH_LEN);
	hs->remote_index = le32toh(src->sender_index);
	hs->state = HANDSHAKE_CONSUMED_RESPONSE;
	ret = NOISE_OK;
out:
	crypto_wipe(key, sizeof(key));
	crypto_wipe(dh, sizeof(dh));
	crypto_wipe(chaining_key, sizeof(chaining_key));
	crypto_wipe(hash, sizeof(hash));
	return ret;
}

struct noise_keypair *noise_handshake_begin_session(struct noise_handshake *hs,
						    uint64_t now_ns)
{
	struct noise_keypair *kp;
	bool is_initiator;

	if (hs->state == HANDSHAKE_CONSUMED_RESPONSE)
		is_initiator = true;
	else if (hs->state == HANDSHAKE_CREATED_RESPONSE)
		is_initiator = false;
	else
		return NULL;
	kp = calloc(1, sizeof(*kp));
	if (!kp)
		return NULL;
	/* (T_send_i = T_recv_r, T_recv_i = T_send_r) = KDF2(C, e) */
	if (is_initiator)
		kdf(kp->sending_key, kp->receiving_key, NULL, hs->chaining_key,
		    NULL, 0);
	else
		kdf(kp->receiving_key, kp->sending_key, NULL, hs->chaining_key,
		    NULL, 0);
	replay_init(&kp->receiving_counter);
	kp->is_initiator = is_initiator;
	kp->local_index = hs->local_index;
	kp->remote_index = hs->remote_index;
	kp->birthdate_ns = now_ns;
	kp->is_valid = true;
	noise_handshake_clear(hs);
	return kp;
}
