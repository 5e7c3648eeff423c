// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for everything that parses datagrams from the network:
 * receive_datagram() dispatches to the initiation, response, cookie and
 * transport paths of a device that has an identity and two peers (one of
 * them with a session, so transport packets reach the decrypt and replay
 * code). The first input byte picks the source address family (bit 0),
 * whether handshake-sized inputs get a valid mac1 (bit 1), and whether the
 * receiver index of a response, cookie reply or data message is made one
 * the device knows (bit 2): the pending handshake of the second peer for
 * a response or cookie reply, the session's keypair for data, so the
 * fuzzer's bytes get past the index lookups to the Noise and AEAD checks
 * (indices are random, so no committed input could name them). Deeper
 * paths, with real keys, are fuzz/session.c's. Sends go to closed sockets
 * and the TUN fd is -1, so nothing leaves the process.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "device.h"
#include "peer.h"

static struct device dev;
static uint8_t buf[PKT_MAX];
/* Live indices: the second peer's pending handshake, the session's. */
static uint32_t handshake_index, keypair_index;
/* Stamps a valid mac1 for our device, so inputs reach the Noise code. */
static struct cookie_maker mac_stamper;

static void add_peer_with_session(void)
{
	uint8_t priv[32], pub[32];
	struct noise_keypair *kp;
	struct peer *p;
	uint32_t idx;

	/* Fixed keys keep runs reproducible. */
	memset(priv, 0x41, sizeof(priv));
	priv[0] &= 248;
	priv[31] = (priv[31] & 127) | 64;
	x25519_public_from_private(pub, priv);
	p = peer_create(&dev, pub);
	uint8_t v4[4] = { 10, 0, 0, 0 };
	allowedips_insert(&dev.allowedips, AF_INET, v4, 8, &p->allowedips);
	idx = index_table_insert_handshake(&dev.index, p, dev.ops->random);
	kp = calloc(1, sizeof(*kp));
	memset(kp->receiving_key, 0x11, 32);
	memset(kp->sending_key, 0x22, 32);
	replay_init(&kp->receiving_counter);
	kp->local_index = idx;
	keypair_index = idx;
	kp->remote_index = 1;
	kp->is_valid = true;
	kp->birthdate_ns = device_now(&dev);
	peer_install_keypair(p, kp);
}

static void setup(void)
{
	struct peer *p;
	uint8_t key[32];

	crypto_init();
	device_init(&dev, "lwfuzz0");
	memset(key, 0x5a, sizeof(key));
	device_set_private_key(&dev, key);
	memset(key, 0x33, sizeof(key));
	p = peer_create(&dev, key);
	/* An initiation to nowhere (no endpoint) leaves a pending handshake
	 * for responses and cookie replies to name. */
	send_handshake_initiation(p, false);
	handshake_index = p->handshake.local_index;
	add_peer_with_session();
	cookie_maker_init(&mac_stamper, dev.local.static_public);
}

/* Points the receiver index of buf (len bytes) at a live entry. */
static void use_live_index(size_t len)
{
	uint32_t type, idx;
	size_t off;

	if (len < MESSAGE_DATA_MIN_LEN)
		return;
	memcpy(&type, buf, sizeof(type));
	switch (le32toh(type)) {
	case MESSAGE_HANDSHAKE_RESPONSE:
		off = offsetof(struct message_handshake_response,
			       receiver_index);
		idx = handshake_index;
		break;
	case MESSAGE_HANDSHAKE_COOKIE:
		off = offsetof(struct message_handshake_cookie, receiver_index);
		idx = handshake_index;
		break;
	case MESSAGE_DATA:
		off = offsetof(struct message_data, key_idx);
		idx = keypair_index;
		break;
	default:
		return;
	}
	idx = htole32(idx);
	memcpy(buf + off, &idx, sizeof(idx));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct sockaddr_in6 src6 = { .sin6_family = AF_INET6,
				     .sin6_port = htons(4242) };
	struct sockaddr_in src4 = { .sin_family = AF_INET,
				    .sin_port = htons(4242) };

	if (!ready) {
		setup();
		ready = true;
	}
	if (size < 1 || size - 1 > sizeof(buf))
		return 0;
	src4.sin_addr.s_addr = htonl(0x7f000001);
	src6.sin6_addr.s6_addr[15] = 1;
	memcpy(buf, data + 1, size - 1);
	if (data[0] & 4)
		use_live_index(size - 1);
	/* Bit 1 of the first byte: make mac1 valid on handshake sizes. */
	if ((data[0] & 2) && (size - 1 == MESSAGE_INITIATION_LEN ||
			      size - 1 == MESSAGE_RESPONSE_LEN))
		cookie_maker_add_macs(&mac_stamper, buf, size - 1,
				      device_now(&dev));
	receive_datagram(&dev, buf, size - 1,
			 data[0] & 1 ? (struct sockaddr *)&src6 :
				       (struct sockaddr *)&src4,
			 NULL);
	return 0;
}
