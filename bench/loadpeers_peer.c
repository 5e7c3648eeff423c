// SPDX-License-Identifier: MIT
/*
 * One loadpeers peer as an initiator (whitepaper 5.4.2-5.4.7, 6.4): its
 * identity, the initiation it sends (mac1, and mac2 once a cookie reply
 * gave it a cookie), the retry timer (REKEY_TIMEOUT plus up to
 * REKEY_TIMEOUT_JITTER_MAX_MS of jitter), the response that gives it a
 * session, and transport data sealed and opened with that session's
 * keys. Its receiver index is its number + 1, for the handshake and the
 * session alike, so the run finds a peer from any reply in O(1).
 */
#include "loadpeers.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

#include "crypto.h"
#include "replay.h"

static uint32_t peer_index(const struct lp_peer *p)
{
	return p->number + 1;
}

int lp_peer_init(struct lp_peer *p, uint32_t n, struct in_addr addr,
		 struct in_addr tun_addr,
		 const uint8_t hub_public[static NOISE_PUBLIC_KEY_LEN])
{
	uint8_t priv[NOISE_PUBLIC_KEY_LEN];

	memset(p, 0, sizeof(*p));
	p->number = n;
	p->addr = addr;
	p->tun_addr = tun_addr;
	lp_peer_private(priv, n);
	noise_local_set_private(&p->local, priv);
	crypto_wipe(priv, sizeof(priv));
	noise_handshake_init(&p->hs, &p->local, hub_public, NULL);
	/* Drop the per-thread libcrypto form of this key: with thousands of
	 * identities in one thread that cache only churns. */
	x25519_static_forget(p->local.static_private);
	if (!p->hs.has_valid_static_static)
		return -EINVAL;
	cookie_maker_init(&p->cookie, hub_public);
	return 0;
}

void lp_peer_free(struct lp_peer *p)
{
	noise_keypair_free(p->kp);
	p->kp = NULL;
	crypto_wipe(&p->local, sizeof(p->local));
	crypto_wipe(&p->hs, sizeof(p->hs));
}

/* A new initiation (new ephemeral key, TAI64N now) with mac1, and mac2 when
 * a cookie is held. 0 or -errno. */
int lp_peer_build_initiation(struct lp_peer *p,
			     struct message_handshake_initiation *msg,
			     uint64_t now)
{
	int ret = noise_handshake_create_initiation(msg, &p->hs, &p->local,
						    peer_index(p),
						    lp_wall_ns(), lp_random);

	if (ret)
		return ret;
	cookie_maker_add_macs(&p->cookie, (uint8_t *)msg, sizeof(*msg), now);
	p->attempts++;
	return 0;
}

/* Whitepaper 6.4: no response within REKEY_TIMEOUT, try again, with up to
 * REKEY_TIMEOUT_JITTER_MAX_MS of jitter so retries do not stay in step. */
void lp_peer_schedule_retry(struct lp_peer *p, uint64_t now)
{
	uint32_t jitter;

	lp_random(&jitter, sizeof(jitter));
	jitter %= REKEY_TIMEOUT_JITTER_MAX_MS + 1;
	p->next_initiation_ns = now + REKEY_TIMEOUT * NS_PER_SEC +
				(uint64_t)jitter * NS_PER_MS;
}

/* The hub forgot us (it restarted): our session is useless. */
void lp_peer_drop_session(struct lp_peer *p)
{
	noise_keypair_free(p->kp);
	p->kp = NULL;
	noise_handshake_clear(&p->hs);
	p->attempts = 0;
	p->sent_data = false;
	p->wants_session = true;
}

/* Pads plain_len bytes at out->buf + header to a multiple of 16 (not past
 * LP_DATA_LEN) and seals them under the session's next counter. */
bool lp_peer_seal(struct lp_peer *p, struct lp_out *out, size_t plain_len)
{
	struct message_data *m = (void *)out->buf;
	size_t plen = (plain_len + MESSAGE_PADDING_MULTIPLE - 1) &
		      ~(size_t)(MESSAGE_PADDING_MULTIPLE - 1);
	struct noise_keypair *kp = p->kp;
	uint64_t counter;

	if (!kp || !kp->is_valid)
		return false;
	if (plain_len <= LP_DATA_LEN && plen > LP_DATA_LEN)
		plen = LP_DATA_LEN;
	counter = kp->sending_counter++;
	memset(out->buf + MESSAGE_DATA_HEADER_LEN + plain_len, 0,
	       plen - plain_len);
	m->header.type = htole32(MESSAGE_DATA);
	m->key_idx = htole32(kp->remote_index);
	m->counter = htole64(counter);
	if (!chacha20poly1305_encrypt(m->encrypted_data, m->encrypted_data,
				      plen, NULL, 0, counter, kp->sending_key))
		return false;
	out->len = (uint16_t)(MESSAGE_DATA_HEADER_LEN + plen + NOISE_AUTHTAG_LEN);
	return true;
}

/* After a response: a keepalive at once (the responder holds the session
 * as "next" until our first transport message, 5.4.6), and with
 * send_data_once one inner packet to the hub's sink. */
static void confirm_session(struct lp_run *r, struct lp_peer *p)
{
	struct in_addr sink = lp_addr_add(p->tun_addr, -(uint32_t)(p->number + 1));
	struct lp_out *o = lp_out_next(r, p->addr);

	if (lp_peer_seal(p, o, 0))
		r->c.data_sent++;
	else
		r->nout--;
	if (!r->send_data_once || p->sent_data)
		return;
	o = lp_out_next(r, p->addr);
	lp_build_inner(o->buf + MESSAGE_DATA_HEADER_LEN, 64, p->tun_addr, sink,
		       p->number);
	if (lp_peer_seal(p, o, 64)) {
		r->c.data_sent++;
		p->sent_data = true;
	} else {
		r->nout--;
	}
}

static bool receive_response(struct lp_run *r, struct lp_peer *p,
			     const struct message_handshake_response *msg,
			     uint64_t kernel_wall_ns)
{
	struct noise_keypair *kp;

	if (p->hs.state != HANDSHAKE_CREATED_INITIATION ||
	    noise_handshake_consume_response(msg, &p->hs, &p->local) !=
		    NOISE_OK) {
		r->c.bad_responses++;
		return false;
	}
	kp = noise_handshake_begin_session(&p->hs, lp_mono_ns());
	if (!kp) {
		r->c.bad_responses++;
		return false;
	}
	noise_keypair_free(p->kp);
	p->kp = kp;
	r->c.responses++;
	p->next_initiation_ns = 0;
	p->session_wall_ns = kernel_wall_ns;
	if (p->wants_session) {
		p->wants_session = false;
		r->sessions++;
		if (kernel_wall_ns > r->last_session_wall_ns)
			r->last_session_wall_ns = kernel_wall_ns;
	}
	confirm_session(r, p);
	return true;
}

static void receive_data(struct lp_run *r, struct lp_peer *p, uint8_t *buf,
			 size_t len)
{
	struct message_data *m = (void *)buf;
	struct noise_keypair *kp = p->kp;
	uint64_t counter = le64toh(m->counter);
	size_t clen = len - MESSAGE_DATA_HEADER_LEN;

	if (!kp || le32toh(m->key_idx) != kp->local_index ||
	    !chacha20poly1305_decrypt(m->encrypted_data, m->encrypted_data,
				      clen, NULL, 0, counter,
				      kp->receiving_key) ||
	    !replay_check(&kp->receiving_counter, counter)) {
		r->c.bad_data++;
		return;
	}
	if (clen == NOISE_AUTHTAG_LEN)
		r->c.keepalives_received++;
	else
		r->c.data_received++;
}

bool lp_peer_receive(struct lp_run *r, struct lp_peer *p, uint8_t *buf,
		     size_t len, uint64_t kernel_wall_ns)
{
	uint32_t type = le32toh(((struct message_header *)buf)->type);

	if (type == MESSAGE_HANDSHAKE_RESPONSE && len == MESSAGE_RESPONSE_LEN)
		return receive_response(r, p, (void *)buf, kernel_wall_ns);
	if (type == MESSAGE_HANDSHAKE_COOKIE && len == MESSAGE_COOKIE_LEN) {
		if (cookie_maker_consume_reply(&p->cookie, (void *)buf,
					       lp_mono_ns()) == 0)
			r->c.cookies++;
		else
			r->c.bad_cookies++;
	} else if (type == MESSAGE_DATA && len >= MESSAGE_DATA_MIN_LEN) {
		receive_data(r, p, buf, len);
	} else {
		r->c.other++;
	}
	return false;
}
