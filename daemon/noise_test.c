// SPDX-License-Identifier: MIT
/*
 * Two in-process peers run the whole handshake and exchange transport data
 * through noise.c and cookie.c alone: keys must agree, every flipped byte of
 * each handshake message must be rejected without changing state, replayed
 * initiations must fail, and the cookie-reply path must produce a mac2 the
 * responder accepts. Also the keypair slot rules of key confirmation.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "cookie.h"
#include "crypto.h"
#include "noise.h"
#include "test.h"

struct side {
	struct noise_local local;
	struct noise_handshake hs; /* our handshake with the other side */
	struct cookie_checker checker;
	struct cookie_maker maker;
};

static struct side A, B;
static const uint8_t psk[32] = { 7, 7, 7 };

static struct noise_handshake *lookup_b_from_a(void *ctx, const uint8_t *pub)
{
	struct side *s = ctx;

	/* ctx is the receiving side; its only peer is the other side. */
	return memcmp(pub, s->hs.remote_static, 32) ? NULL : &s->hs;
}

static void setup(void)
{
	uint8_t ka[32], kb[32];

	x25519_generate_private(ka);
	x25519_generate_private(kb);
	noise_local_set_private(&A.local, ka);
	noise_local_set_private(&B.local, kb);
	noise_handshake_init(&A.hs, &A.local, B.local.static_public, psk);
	noise_handshake_init(&B.hs, &B.local, A.local.static_public, psk);
	cookie_checker_init(&A.checker, A.local.static_public);
	cookie_checker_init(&B.checker, B.local.static_public);
	cookie_maker_init(&A.maker, B.local.static_public);
	cookie_maker_init(&B.maker, A.local.static_public);
}

static uint64_t wall = 1700000000ULL * NS_PER_SEC;
static uint64_t mono = 1000 * NS_PER_SEC;

static void test_full_handshake_and_data(void)
{
	struct message_handshake_initiation init;
	struct message_handshake_response resp;
	struct noise_handshake *found;
	struct noise_keypair *ka, *kb;
	uint8_t plain[64] = "hello through the tunnel", ct[80], out[64];

	CHECK_EQ(noise_handshake_create_initiation(&init, &A.hs, &A.local, 0x11,
						   wall, crypto_random), 0);
	CHECK_EQ(A.hs.state, HANDSHAKE_CREATED_INITIATION);
	cookie_maker_add_macs(&A.maker, (uint8_t *)&init, sizeof(init), mono);
	CHECK(cookie_checker_check_mac1(&B.checker, (uint8_t *)&init,
					sizeof(init)));
	CHECK_EQ(noise_handshake_consume_initiation(&init, &B.local,
						    lookup_b_from_a, &B, mono,
						    &found), NOISE_OK);
	CHECK(found == &B.hs);
	CHECK_EQ(B.hs.remote_index, 0x11);

	/* The same initiation again: replayed timestamp. */
	CHECK_EQ(noise_handshake_consume_initiation(&init, &B.local,
						    lookup_b_from_a, &B,
						    mono + NS_PER_SEC, &found),
		 NOISE_REPLAYED);

	CHECK_EQ(noise_handshake_create_response(&resp, &B.hs, &B.local, 0x22,
						 crypto_random),
		 0);
	cookie_maker_add_macs(&B.maker, (uint8_t *)&resp, sizeof(resp), mono);
	CHECK(cookie_checker_check_mac1(&A.checker, (uint8_t *)&resp,
					sizeof(resp)));
	CHECK_EQ(noise_handshake_consume_response(&resp, &A.hs, &A.local),
		 NOISE_OK);
	ka = noise_handshake_begin_session(&A.hs, mono);
	kb = noise_handshake_begin_session(&B.hs, mono);
	CHECK(ka && kb);
	if (!ka || !kb)
		return;
	CHECK(ka->is_initiator && !kb->is_initiator);
	CHECK(!memcmp(ka->sending_key, kb->receiving_key, 32));
	CHECK(!memcmp(ka->receiving_key, kb->sending_key, 32));
	CHECK(memcmp(ka->sending_key, ka->receiving_key, 32));
	CHECK_EQ(ka->remote_index, 0x22);
	CHECK_EQ(kb->remote_index, 0x11);
	CHECK_EQ(A.hs.state, HANDSHAKE_ZEROED);

	chacha20poly1305_encrypt(ct, plain, sizeof(plain), NULL, 0, 0,
				 ka->sending_key);
	CHECK(chacha20poly1305_decrypt(out, ct, sizeof(ct), NULL, 0, 0,
				       kb->receiving_key));
	CHECK(!memcmp(out, plain, sizeof(plain)));
	noise_keypair_free(ka);
	noise_keypair_free(kb);
}

/* Flipping any byte of an initiation must make B reject it with no state
 * change (mac1 catches most; the rest fail authentication). */
static void test_flipped_initiation(void)
{
	struct message_handshake_initiation init, bad;
	struct noise_handshake *found, before;
	unsigned rejected = 0;

	wall += 10 * NS_PER_SEC;
	mono += 10 * NS_PER_SEC;
	noise_handshake_create_initiation(&init, &A.hs, &A.local, 0x33, wall,
					  crypto_random);
	cookie_maker_add_macs(&A.maker, (uint8_t *)&init, sizeof(init), mono);
	before = B.hs;
	for (size_t i = 0; i < offsetof(struct message_handshake_initiation,
					 macs.mac2); i++) {
		bad = init;
		((uint8_t *)&bad)[i] ^= 0x01;
		if (!cookie_checker_check_mac1(&B.checker, (uint8_t *)&bad,
					       sizeof(bad))) {
			rejected++;
			/* Even without the mac check the core rejects it. */
		}
		/* Bytes 0-7 (type, sender_index) are covered by mac1 only. */
		if (i >= 8 &&
		    i < offsetof(struct message_handshake_initiation, macs) &&
		    noise_handshake_consume_initiation(&bad, &B.local,
						       lookup_b_from_a, &B,
						       mono, &found) == NOISE_OK)
			CHECK(!"flipped initiation accepted by noise");
	}
	CHECK_EQ(rejected, offsetof(struct message_handshake_initiation,
				    macs.mac2));
	CHECK(!memcmp(&before, &B.hs, sizeof(before)));
	/* The untouched one is still good. */
	CHECK_EQ(noise_handshake_consume_initiation(&init, &B.local,
						    lookup_b_from_a, &B, mono,
						    &found), NOISE_OK);
}

static void test_flipped_response(void)
{
	struct message_handshake_response resp, bad;
	struct noise_handshake before;

	CHECK_EQ(noise_handshake_create_response(&resp, &B.hs, &B.local, 0x44,
						 crypto_random),
		 0);
	before = A.hs;
	for (size_t i = 0; i < offsetof(struct message_handshake_response,
					 macs); i++) {
		bad = resp;
		((uint8_t *)&bad)[i] ^= 0x80;
		if (noise_handshake_consume_response(&bad, &A.hs, &A.local) ==
			    NOISE_OK &&
		    i >= offsetof(struct message_handshake_response,
				  receiver_index))
			CHECK(!"flipped response accepted");
		/* A flipped sender index is not authenticated by the AEAD
		 * but is part of mac1, checked before noise. */
		A.hs = before;
	}
	CHECK_EQ(noise_handshake_consume_response(&resp, &A.hs, &A.local),
		 NOISE_OK);
	noise_keypair_free(noise_handshake_begin_session(&A.hs, mono));
	noise_keypair_free(noise_handshake_begin_session(&B.hs, mono));
}

static void test_unknown_peer_and_low_order(void)
{
	struct side C;
	struct message_handshake_initiation init;
	struct noise_handshake *found;
	uint8_t kc[32], zero[32] = { 0 };
	struct noise_handshake hz;

	memset(&C, 0, sizeof(C));
	x25519_generate_private(kc);
	noise_local_set_private(&C.local, kc);
	noise_handshake_init(&C.hs, &C.local, B.local.static_public, NULL);
	wall += NS_PER_SEC;
	CHECK_EQ(noise_handshake_create_initiation(&init, &C.hs, &C.local, 5,
						   wall, crypto_random), 0);
	CHECK_EQ(noise_handshake_consume_initiation(&init, &B.local,
						    lookup_b_from_a, &B, mono,
						    &found),
		 NOISE_UNKNOWN_PEER);
	/* A peer whose public key is all zero (a low-order point). */
	noise_handshake_init(&hz, &A.local, zero, NULL);
	CHECK(!hz.has_valid_static_static);
	CHECK(noise_handshake_create_initiation(&init, &hz, &A.local, 6,
						wall, crypto_random) < 0);
}

static void test_flood_protection(void)
{
	struct message_handshake_initiation i1, i2;
	struct noise_handshake *found;

	wall += NS_PER_SEC;
	mono += NS_PER_SEC;
	noise_handshake_create_initiation(&i1, &A.hs, &A.local, 7, wall,
					  crypto_random);
	CHECK_EQ(noise_handshake_consume_initiation(&i1, &B.local,
						    lookup_b_from_a, &B, mono,
						    &found), NOISE_OK);
	/* A newer timestamp but too soon after the last one. */
	wall += NS_PER_SEC;
	noise_handshake_create_initiation(&i2, &A.hs, &A.local, 8, wall,
					  crypto_random);
	CHECK_EQ(noise_handshake_consume_initiation(&i2, &B.local,
						    lookup_b_from_a, &B,
						    mono + NS_PER_MS, &found),
		 NOISE_FLOOD);
	CHECK_EQ(noise_handshake_consume_initiation(&i2, &B.local,
						    lookup_b_from_a, &B,
						    mono + NS_PER_SEC, &found),
		 NOISE_OK);
}

static void test_cookie_reply(void)
{
	struct message_handshake_initiation init;
	struct message_handshake_cookie reply, bad;
	struct sockaddr_in src = { .sin_family = AF_INET,
				   .sin_port = htons(1234) };
	struct sockaddr_in other = src;
	uint8_t cookie[COOKIE_LEN], again[COOKIE_LEN];

	inet_pton(AF_INET, "192.0.2.1", &src.sin_addr);
	inet_pton(AF_INET, "192.0.2.2", &other.sin_addr);
	wall += NS_PER_SEC;
	noise_handshake_create_initiation(&init, &A.hs, &A.local, 9, wall,
					  crypto_random);
	cookie_maker_add_macs(&A.maker, (uint8_t *)&init, sizeof(init), mono);
	/* No cookie held yet: mac2 is zero and invalid, and the cookie
	 * computed for the check is the one the reply carries. */
	CHECK(!cookie_checker_check_mac2(&B.checker, (uint8_t *)&init,
					 sizeof(init), (void *)&src, mono,
					 crypto_random,
					 cookie));
	CHECK(!crypto_is_zero(cookie, sizeof(cookie)));
	CHECK_EQ(cookie_checker_create_reply(&B.checker, &reply,
					     (uint8_t *)&init, sizeof(init),
					     init.sender_index, cookie), 0);
	CHECK_EQ(reply.header.type, htole32(MESSAGE_HANDSHAKE_COOKIE));
	CHECK_EQ(le32toh(reply.receiver_index), 9);
	bad = reply;
	bad.encrypted_cookie[3] ^= 1;
	CHECK(cookie_maker_consume_reply(&A.maker, &bad, mono) < 0);
	bad = reply;
	bad.nonce[23] ^= 1;
	CHECK(cookie_maker_consume_reply(&A.maker, &bad, mono) < 0);
	CHECK_EQ(cookie_maker_consume_reply(&A.maker, &reply, mono), 0);
	CHECK(!memcmp(A.maker.cookie, cookie, COOKIE_LEN));
	/* A replayed reply is refused: it answers a mac1 already used. */
	CHECK(cookie_maker_consume_reply(&A.maker, &reply, mono) < 0);

	/* The resent initiation now carries a mac2 B accepts from src only,
	 * and the cookie B computes for src is the same as before. */
	cookie_maker_add_macs(&A.maker, (uint8_t *)&init, sizeof(init), mono);
	CHECK(cookie_checker_check_mac1(&B.checker, (uint8_t *)&init,
					sizeof(init)));
	CHECK(cookie_checker_check_mac2(&B.checker, (uint8_t *)&init,
					sizeof(init), (void *)&src, mono,
					crypto_random,
					again));
	CHECK(!memcmp(again, cookie, COOKIE_LEN));
	CHECK(!cookie_checker_check_mac2(&B.checker, (uint8_t *)&init,
					 sizeof(init), (void *)&other, mono,
					 crypto_random,
					 again));
	CHECK(memcmp(again, cookie, COOKIE_LEN));
	/* After COOKIE_REFRESH_TIME the maker stops using it. */
	cookie_maker_add_macs(&A.maker, (uint8_t *)&init, sizeof(init),
			      mono + COOKIE_REFRESH_TIME * NS_PER_SEC);
	CHECK(crypto_is_zero(init.macs.mac2, MAC_LEN));
}

/* Two replies to two initiations: distinct nonces, and each decrypts only
 * for the initiation (mac1) it answers. */
static void test_cookie_reply_nonces(void)
{
	struct message_handshake_initiation i1, i2;
	struct message_handshake_cookie r1, r2;
	struct sockaddr_in src = { .sin_family = AF_INET,
				   .sin_port = htons(4321) };
	uint8_t cookie[COOKIE_LEN];

	wall += NS_PER_SEC;
	noise_handshake_create_initiation(&i1, &A.hs, &A.local, 10, wall,
					  crypto_random);
	cookie_maker_add_macs(&A.maker, (uint8_t *)&i1, sizeof(i1), mono);
	cookie_checker_check_mac2(&B.checker, (uint8_t *)&i1, sizeof(i1),
				  (void *)&src, mono, crypto_random, cookie);
	CHECK_EQ(cookie_checker_create_reply(&B.checker, &r1, (uint8_t *)&i1,
					     sizeof(i1), i1.sender_index,
					     cookie), 0);
	CHECK_EQ(cookie_checker_create_reply(&B.checker, &r2, (uint8_t *)&i1,
					     sizeof(i1), i1.sender_index,
					     cookie), 0);
	CHECK(memcmp(r1.nonce, r2.nonce, sizeof(r1.nonce)));
	CHECK(memcmp(r1.encrypted_cookie, r2.encrypted_cookie,
		     sizeof(r1.encrypted_cookie)));
	wall += NS_PER_SEC;
	noise_handshake_create_initiation(&i2, &A.hs, &A.local, 11, wall,
					  crypto_random);
	cookie_maker_add_macs(&A.maker, (uint8_t *)&i2, sizeof(i2), mono);
	/* A's last mac1 is now i2's: replies to i1 no longer open. */
	CHECK(cookie_maker_consume_reply(&A.maker, &r1, mono) < 0);
	CHECK(cookie_maker_consume_reply(&A.maker, &r2, mono) < 0);
	crypto_wipe(cookie, sizeof(cookie));
}

/* mac1 alone decides while not under load: it does not read mac2, and it
 * neither makes a cookie nor draws the cookie secret R_m. */
static void test_mac1_alone(void)
{
	struct cookie_checker fresh;
	struct message_handshake_initiation init;

	cookie_checker_init(&fresh, B.local.static_public);
	wall += NS_PER_SEC;
	noise_handshake_create_initiation(&init, &A.hs, &A.local, 12, wall,
					  crypto_random);
	cookie_maker_add_macs(&A.maker, (uint8_t *)&init, sizeof(init), mono);
	memset(init.macs.mac2, 0xa5, MAC_LEN); /* garbage mac2 */
	CHECK(cookie_checker_check_mac1(&fresh, (uint8_t *)&init,
					sizeof(init)));
	CHECK(!fresh.has_secret);
	init.macs.mac1[0] ^= 1;
	CHECK(!cookie_checker_check_mac1(&fresh, (uint8_t *)&init,
					 sizeof(init)));
	CHECK(!fresh.has_secret);
	/* Without an identity, or too short, nothing is valid. */
	cookie_checker_init(&fresh, NULL);
	init.macs.mac1[0] ^= 1;
	CHECK(!cookie_checker_check_mac1(&fresh, (uint8_t *)&init,
					 sizeof(init)));
	CHECK(!cookie_checker_check_mac1(&B.checker, (uint8_t *)&init,
					 sizeof(struct message_macs) - 1));
}

/* Static DHs go through the thread's cached libcrypto key: the results
 * must be those of a plain x25519() on the raw private key, before and
 * after the identity changes, and a cleared identity computes nothing. */
static void test_static_key_cache(void)
{
	struct noise_local l = { 0 };
	struct noise_handshake hs;
	uint8_t k1[32], k2[32], pub[32], want[32];

	CHECK(x25519(want, A.local.static_private, B.local.static_public));
	CHECK(!memcmp(A.hs.precomputed_static_static, want, 32));
	CHECK(x25519(want, B.local.static_private, A.local.static_public));
	CHECK(!memcmp(B.hs.precomputed_static_static, want, 32));

	x25519_generate_private(k1);
	x25519_generate_private(k2);
	noise_local_set_private(&l, k1);
	noise_local_set_private(&l, k1); /* the same again: kept */
	x25519_public_from_private(pub, k1);
	CHECK(!memcmp(l.static_public, pub, 32));
	noise_handshake_init(&hs, &l, B.local.static_public, NULL);
	CHECK(x25519(want, k1, B.local.static_public));
	CHECK(hs.has_valid_static_static &&
	      !memcmp(hs.precomputed_static_static, want, 32));

	noise_local_set_private(&l, k2);
	x25519_public_from_private(pub, k2);
	CHECK(!memcmp(l.static_public, pub, 32));
	noise_handshake_precompute(&hs, &l);
	CHECK(x25519(want, k2, B.local.static_public));
	CHECK(hs.has_valid_static_static &&
	      !memcmp(hs.precomputed_static_static, want, 32));

	noise_local_set_private(&l, NULL);
	CHECK(!l.has_identity && crypto_is_zero(&l, sizeof(l)));
	noise_handshake_precompute(&hs, &l);
	CHECK(!hs.has_valid_static_static);
	crypto_wipe(k1, sizeof(k1));
	crypto_wipe(k2, sizeof(k2));
}

static struct noise_keypair *kp(bool initiator)
{
	static uint32_t n = 100;
	struct noise_keypair *k = calloc(1, sizeof(*k));

	k->is_initiator = initiator;
	k->local_index = n++;
	return k;
}

static void test_keypair_slots(void)
{
	struct noise_keypairs s = { 0 };
	struct noise_keypair *d[3], *one, *k1 = kp(true), *k2 = kp(false),
				      *k3 = kp(true);

	noise_keypairs_insert(&s, k1, d);
	CHECK(s.current == k1 && !s.next && !s.previous && !d[0] && !d[1]);
	noise_keypairs_insert(&s, k2, d); /* responder: waits as next */
	CHECK(s.current == k1 && s.next == k2 && !d[0] && !d[1]);
	CHECK(!noise_keypairs_received_with(&s, k1, &one));
	CHECK(noise_keypairs_received_with(&s, k2, &one));
	CHECK(s.current == k2 && s.previous == k1 && !s.next && !one);
	noise_keypairs_insert(&s, k3, d); /* initiator: current at once */
	CHECK(s.current == k3 && s.previous == k2 && d[0] == k1 && !d[1]);
	noise_keypair_free(d[0]);
	noise_keypairs_clear(&s, d);
	CHECK(d[0] == k2 && d[1] == k3 && !d[2]);
	for (int i = 0; i < 3; i++)
		noise_keypair_free(d[i]);
}

static void test_tai64n(void)
{
	uint8_t a[12], b[12];

	noise_tai64n(a, 1 * NS_PER_SEC);
	CHECK_EQ(a[0], 0x40);
	CHECK_EQ(a[7], 0x0b); /* 0x400000000000000a + 1 */
	noise_tai64n(a, 5 * NS_PER_SEC + 25 * NS_PER_MS);
	noise_tai64n(b, 5 * NS_PER_SEC + 35 * NS_PER_MS);
	/* Both round down to the same 20 ms slot. */
	CHECK(!memcmp(a, b, 12));
	noise_tai64n(b, 5 * NS_PER_SEC + 40 * NS_PER_MS);
	CHECK(memcmp(b, a, 12) > 0);
}

/* Counts up from a seed: a reproducible source, as a fuzzer's ops. */
static uint8_t counter_seed;

static int random_counter(void *buf, size_t len)
{
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(counter_seed + i);
	return 0;
}

static int random_failing(void *buf, size_t len)
{
	(void)buf, (void)len;
	return -EIO;
}

/* The ephemeral key comes from the random source given, clamped, and
 * nowhere else: the same bytes give the same e in both messages; a
 * failing source makes no message and leaves the handshake zeroed. */
static void test_ephemeral_from_source(void)
{
	struct message_handshake_initiation i1, i2;
	struct message_handshake_response r1;
	struct noise_handshake *found;
	uint8_t priv[32], pub[32];

	counter_seed = 1;
	CHECK_EQ(random_counter(priv, sizeof(priv)), 0);
	priv[0] &= 248;
	priv[31] = (priv[31] & 127) | 64;
	x25519_public_from_private(pub, priv);
	noise_handshake_clear(&A.hs);
	CHECK_EQ(noise_handshake_create_initiation(&i1, &A.hs, &A.local, 13,
						   wall, random_counter), 0);
	CHECK(!memcmp(i1.unencrypted_ephemeral, pub, 32));
	CHECK(!memcmp(A.hs.ephemeral_private, priv, 32));
	CHECK_EQ(noise_handshake_create_initiation(&i2, &A.hs, &A.local, 13,
						   wall, random_counter), 0);
	CHECK(!memcmp(i2.unencrypted_ephemeral, pub, 32));

	wall += 10 * NS_PER_SEC;
	mono += 10 * NS_PER_SEC;
	CHECK_EQ(noise_handshake_create_initiation(&i1, &A.hs, &A.local, 14,
						   wall, random_counter), 0);
	CHECK_EQ(noise_handshake_consume_initiation(&i1, &B.local,
						    lookup_b_from_a, &B, mono,
						    &found), NOISE_OK);
	CHECK_EQ(noise_handshake_create_response(&r1, found, &B.local, 15,
						 random_failing), -EINVAL);
	CHECK_EQ(B.hs.state, HANDSHAKE_ZEROED);
	CHECK(crypto_is_zero(B.hs.ephemeral_private, 32));
	noise_handshake_clear(&A.hs);
	CHECK(noise_handshake_create_initiation(&i1, &A.hs, &A.local, 16,
						wall, random_failing) < 0);
	CHECK_EQ(A.hs.state, HANDSHAKE_ZEROED);
}

int main(void)
{
	if (crypto_init() < 0)
		return 1;
	setup();
	test_full_handshake_and_data();
	test_flipped_initiation();
	test_flipped_response();
	test_unknown_peer_and_low_order();
	test_flood_protection();
	test_cookie_reply();
	test_cookie_reply_nonces();
	test_mac1_alone();
	test_static_key_cache();
	test_keypair_slots();
	test_tai64n();
	test_ephemeral_from_source();
	return test_finish("noise");
}
