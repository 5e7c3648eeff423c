// SPDX-License-Identifier: MIT
/*
 * Cookie MACs and cookie replies (whitepaper 5.4.4 and 5.4.7):
 *   mac1 = MAC(HASH(LABEL_MAC1 || S_receiver), msg up to mac1)
 *   mac2 = MAC(cookie, msg up to mac2), cookie = MAC(R_m, source ip || port)
 *   reply: XAEAD(HASH(LABEL_COOKIE || S_replier), nonce, cookie, mac1)
 * R_m is a random secret rotated every COOKIE_REFRESH_TIME; a cookie older
 * than COOKIE_REFRESH_TIME (less a margin for latency) is not used.
 */
#include "cookie.h"

#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "crypto.h"

/* The initiator stops using a cookie a little before the responder's secret
 * rotates, so one in flight is not rejected (kernel: 2 * REKEY_TIMEOUT). */
#define COOKIE_LATENCY_MARGIN (2 * REKEY_TIMEOUT)

static void precompute_key(uint8_t key[static NOISE_SYMMETRIC_KEY_LEN],
			   const uint8_t public_key[static NOISE_PUBLIC_KEY_LEN],
			   const char *label)
{
	blake2s_2(key, (const uint8_t *)label, strlen(label), public_key,
		  NOISE_PUBLIC_KEY_LEN);
}

void cookie_checker_init(struct cookie_checker *c, const uint8_t *public_key)
{
	crypto_wipe(c, sizeof(*c));
	if (!public_key)
		return;
	precompute_key(c->mac1_key, public_key, LABEL_MAC1);
	precompute_key(c->cookie_key, public_key, LABEL_COOKIE);
	c->has_identity = true;
}

void cookie_maker_init(struct cookie_maker *m,
		       const uint8_t public_key[static NOISE_PUBLIC_KEY_LEN])
{
	crypto_wipe(m, sizeof(*m));
	precompute_key(m->mac1_key, public_key, LABEL_MAC1);
	precompute_key(m->cookie_key, public_key, LABEL_COOKIE);
}

static size_t mac1_offset(size_t len)
{
	return len - sizeof(struct message_macs);
}

static size_t mac2_offset(size_t len)
{
	return len - MAC_LEN;
}

/* The bytes that identify a source: IPv4 or IPv6 address, then the port. */
static size_t source_bytes(uint8_t out[static 18], const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		memcpy(out, &in->sin_addr, 4);
		memcpy(out + 4, &in->sin_port, 2);
		return 6;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		memcpy(out, &in6->sin6_addr, 16);
		memcpy(out + 16, &in6->sin6_port, 2);
		return 18;
	}
	return 0;
}

/* R_m changes every COOKIE_REFRESH_TIME. If random fails the old secret
 * stays and the next message tries again. */
static void refresh_secret(struct cookie_checker *c, uint64_t now_ns,
			   crypto_random_fn random)
{
	if (c->has_secret &&
	    now_ns - c->secret_birthdate_ns < COOKIE_REFRESH_TIME * NS_PER_SEC)
		return;
	if (random(c->secret, sizeof(c->secret)) < 0)
		return;
	c->secret_birthdate_ns = now_ns;
	c->has_secret = true;
}

static void make_cookie(struct cookie_checker *c, uint8_t cookie[static COOKIE_LEN],
			const struct sockaddr *src, uint64_t now_ns,
			crypto_random_fn random)
{
	uint8_t id[18];
	size_t n = source_bytes(id, src);

	refresh_secret(c, now_ns, random);
	blake2s(cookie, COOKIE_LEN, c->secret, sizeof(c->secret), id, n);
}

bool cookie_checker_check_mac1(const struct cookie_checker *c,
			       const uint8_t *msg, size_t len)
{
	const struct message_macs *macs;
	uint8_t computed[MAC_LEN];

	if (!c->has_identity || len < sizeof(*macs))
		return false;
	macs = (const void *)(msg + mac1_offset(len));
	blake2s(computed, MAC_LEN, c->mac1_key, sizeof(c->mac1_key), msg,
		mac1_offset(len));
	return crypto_equal(computed, macs->mac1, MAC_LEN);
}

bool cookie_checker_check_mac2(struct cookie_checker *c, const uint8_t *msg,
			       size_t len, const struct sockaddr *src,
			       uint64_t now_ns, crypto_random_fn random,
			       uint8_t cookie[static COOKIE_LEN])
{
	const struct message_macs *macs;
	uint8_t computed[MAC_LEN];
	bool ok;

	memset(cookie, 0, COOKIE_LEN);
	if (!c->has_identity || len < sizeof(*macs))
		return false;
	macs = (const void *)(msg + mac1_offset(len));
	make_cookie(c, cookie, src, now_ns, random);
	blake2s(computed, MAC_LEN, cookie, COOKIE_LEN, msg, mac2_offset(len));
	ok = crypto_equal(computed, macs->mac2, MAC_LEN);
	crypto_wipe(computed, sizeof(computed));
	return ok;
}

int cookie_checker_create_reply(const struct cookie_checker *c,
				struct message_handshake_cookie *dst,
				const uint8_t *msg, size_t len,
				uint32_t receiver_index,
				const uint8_t cookie[static COOKIE_LEN])
{
	const struct message_macs *macs;
	int ret;

	if (!c->has_identity || len < sizeof(*macs))
		return -EINVAL;
	macs = (const void *)(msg + mac1_offset(len));
	dst->header.type = htole32(MESSAGE_HANDSHAKE_COOKIE);
	dst->receiver_index = receiver_index; /* already little-endian */
	ret = crypto_nonce(dst->nonce, sizeof(dst->nonce));
	if (ret)
		return ret;
	if (!xchacha20poly1305_encrypt(dst->encrypted_cookie, cookie,
				       COOKIE_LEN, macs->mac1, MAC_LEN,
				       dst->nonce, c->cookie_key))
		return -EIO;
	return 0;
}

void cookie_maker_add_macs(struct cookie_maker *m, uint8_t *msg, size_t len,
			   uint64_t now_ns)
{
	struct message_macs *macs = (void *)(msg + mac1_offset(len));
	uint64_t max_age = (COOKIE_REFRESH_TIME - COOKIE_LATENCY_MARGIN) *
			   NS_PER_SEC;

	blake2s(macs->mac1, MAC_LEN, m->mac1_key, sizeof(m->mac1_key), msg,
		mac1_offset(len));
	memcpy(m->last_mac1_sent, macs->mac1, MAC_LEN);
	m->has_sent_mac1 = true;

	if (m->has_cookie && now_ns - m->cookie_birthdate_ns < max_age)
		blake2s(macs->mac2, MAC_LEN, m->cookie, COOKIE_LEN, msg,
			mac2_offset(len));
	else
		memset(macs->mac2, 0, MAC_LEN);
}

int cookie_maker_consume_reply(struct cookie_maker *m,
			       const struct message_handshake_cookie *src,
			       uint64_t now_ns)
{
	uint8_t cookie[COOKIE_LEN];

	if (!m->has_sent_mac1)
		return -EINVAL;
	if (!xchacha20poly1305_decrypt(cookie, src->encrypted_cookie,
				       sizeof(src->encrypted_cookie),
				       m->last_mac1_sent, MAC_LEN, src->nonce,
				       m->cookie_key)) {
		crypto_wipe(cookie, sizeof(cookie));
		return -EINVAL;
	}
	memcpy(m->cookie, cookie, COOKIE_LEN);
	m->cookie_birthdate_ns = now_ns;
	m->has_cookie = true;
	/* One reply per mac1: a replayed reply cannot refresh the cookie. */
	m->has_sent_mac1 = false;
	crypto_wipe(cookie, sizeof(cookie));
	return 0;
}
