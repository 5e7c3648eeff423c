// SPDX-License-Identifier: MIT
/*
 * User-space GRO for a TUN opened with IFF_VNET_HDR (issue 4): gro_add()
 * coalesces decrypted TCP segments of one flow, gro_flush() writes each
 * held packet behind a virtio_net_hdr. Coalescing follows the kernel's
 * tcp_gro_receive rules, restricted to appending in order to the most
 * recent packet of a flow so that nothing is ever reordered; each appended
 * segment's checksum is verified while its payload is copied, because the
 * coalesced packet goes out marked NEEDS_CSUM and the kernel will not check
 * it again. Segmentation of TUN reads is in offload.c, the checksum
 * helpers in offload_csum.c.
 */
#include "offload_internal.h"

#include <netinet/in.h>
#include <string.h>

/* What gro_add() learns about a packet from its headers. */
struct tcp_seg {
	unsigned version;
	size_t iphlen;
	size_t hdrlen;
	size_t payload;
	uint32_t seq;
	uint32_t hash;
	uint8_t flags;
	bool is_flow;		/* a TCP packet whose ports are readable */
	bool is_candidate;	/* headers allow coalescing */
};

static uint32_t mix(uint32_t h, const uint8_t *p, size_t len)
{
	uint32_t w;

	for (; len >= 4; p += 4, len -= 4) {
		memcpy(&w, p, 4);
		h = (h ^ w) * 0x9e3779b1u;
	}
	return h ^ (h >> 15);
}

/* Addresses and ports; seg->iphlen must be set. */
static uint32_t flow_hash(const uint8_t *pkt, const struct tcp_seg *seg)
{
	uint32_t h = seg->version;

	h = seg->version == 4 ? mix(h, pkt + 12, 8) : mix(h, pkt + 8, 32);
	return mix(h, pkt + seg->iphlen, 4);
}

/* IP-level conditions for a coalescing candidate: exact length, no IPv4
 * options or fragments, valid IPv4 header checksum. */
static bool ip_is_candidate(const uint8_t *pkt, size_t len,
			    const struct tcp_seg *seg)
{
	if (seg->version == 6)
		return get16(pkt + 4) + (size_t)IPV6_HDR_LEN == len;
	return seg->iphlen == IPV4_HDR_MIN && get16(pkt + 2) == len &&
	       !(get16(pkt + 6) & IPV4_MF) &&
	       inet_csum_fold(inet_csum_partial(pkt, IPV4_HDR_MIN, 0)) == 0;
}

static void parse_tcp_seg(const uint8_t *pkt, size_t len, struct tcp_seg *seg)
{
	size_t thlen;
	uint8_t proto;

	memset(seg, 0, sizeof(*seg));
	if (parse_ip(pkt, len, &seg->version, &seg->iphlen, &proto) ||
	    proto != IPPROTO_TCP || len - seg->iphlen < TCP_HDR_MIN)
		return;
	if (seg->version == 4 && (get16(pkt + 6) & IPV4_FRAG_OFF))
		return;
	seg->is_flow = true;
	seg->hash = flow_hash(pkt, seg);
	thlen = (size_t)(pkt[seg->iphlen + 12] >> 4) * 4;
	if (thlen < TCP_HDR_MIN || thlen > len - seg->iphlen)
		return;
	seg->hdrlen = seg->iphlen + thlen;
	seg->payload = len - seg->hdrlen;
	seg->seq = get32(pkt + seg->iphlen + 4);
	seg->flags = pkt[seg->iphlen + 13];
	seg->is_candidate = seg->payload > 0 &&
			    (seg->flags & ~TCP_PSH) == TCP_ACK &&
			    ip_is_candidate(pkt, len, seg);
}

static bool same_flow(const struct gro_item *it, const uint8_t *pkt,
		      const struct tcp_seg *seg)
{
	const uint8_t *head = it->pkt;

	if (!it->is_tcp_flow || it->flow_hash != seg->hash ||
	    (head[0] >> 4) != seg->version)
		return false;
	if (seg->version == 4 && memcmp(head + 12, pkt + 12, 8))
		return false;
	if (seg->version == 6 && memcmp(head + 8, pkt + 8, 32))
		return false;
	return !memcmp(head + it->iphlen, pkt + seg->iphlen, 4);
}

/* The most recent item of pkt's flow, or NULL. */
static struct gro_item *gro_find(struct gro_table *t, const uint8_t *pkt,
				 const struct tcp_seg *seg)
{
	unsigned i;

	for (i = t->count; i-- > 0;)
		if (same_flow(&t->items[i], pkt, seg))
			return &t->items[i];
	return NULL;
}

/* Header conditions for appending seg to it (same flow already known). */
static bool can_append(const struct gro_item *it, const uint8_t *pkt,
		       const struct tcp_seg *seg)
{
	const uint8_t *head = it->pkt, *hth = head + it->iphlen;
	const uint8_t *th = pkt + seg->iphlen;

	if (!it->can_grow || !seg->is_candidate || seg->hdrlen != it->hdrlen)
		return false;
	if (seg->version == 4 &&
	    (head[1] != pkt[1] || head[8] != pkt[8] ||
	     ((head[6] ^ pkt[6]) & (IPV4_DF >> 8))))
		return false;
	if (seg->version == 6 && (memcmp(head, pkt, 4) || head[7] != pkt[7]))
		return false;
	/* ack, then data offset and window, then the options */
	if (memcmp(hth + 8, th + 8, 4) || hth[12] != th[12] ||
	    memcmp(hth + 14, th + 14, 2) ||
	    memcmp(hth + TCP_HDR_MIN, th + TCP_HDR_MIN,
		   seg->hdrlen - seg->iphlen - TCP_HDR_MIN))
		return false;
	return seg->seq == it->next_seq && seg->payload <= it->gso_size &&
	       it->len + seg->payload <= IP_LEN_MAX &&
	       it->len + seg->payload <= it->cap;
}

/* The folded sum over pkt's pseudo-header and TCP header plus
 * payload_acc, the host-order sum of its payload (taken while copying it):
 * 0xffff when the TCP checksum is valid. */
static uint16_t tcp_seg_sum(const uint8_t *pkt, const struct tcp_seg *seg,
			    uint64_t payload_acc)
{
	size_t thlen = seg->hdrlen - seg->iphlen;
	uint32_t sum = pseudo_sum(pkt, seg->version, IPPROTO_TCP);

	sum = add_carry(sum, (uint32_t)(thlen + seg->payload));
	return csum_unfolded16(add_carry(sum, fold_native(
		sum_native(pkt + seg->iphlen, thlen) + payload_acc)));
}

static bool tcp_csum_ok(const uint8_t *pkt, const struct tcp_seg *seg)
{
	return tcp_seg_sum(pkt, seg, sum_native(pkt + seg->hdrlen,
						seg->payload)) == 0xffff;
}

/* Copies and checks seg's payload behind the item; commits only if the
 * checksum is valid (the copy lies beyond it->len until then). */
static bool gro_append(struct gro_item *it, const uint8_t *pkt,
		       const struct tcp_seg *seg)
{
	uint64_t acc = sum_copy_native(it->pkt + it->len, pkt + seg->hdrlen,
				       seg->payload);

	if (tcp_seg_sum(pkt, seg, acc) != 0xffff)
		return false;
	it->len += seg->payload;
	it->next_seq += (uint32_t)seg->payload;
	it->segs++;
	if (seg->flags & TCP_PSH) {
		it->pkt[it->iphlen + 13] |= TCP_PSH;
		it->can_grow = false;
	}
	if (seg->payload < it->gso_size)
		it->can_grow = false;
	return true;
}

static void gro_hold(struct gro_table *t, uint8_t *pkt, size_t len,
		     size_t cap, const struct tcp_seg *seg, bool csum_ok)
{
	struct gro_item *it = &t->items[t->count++];

	memset(it, 0, sizeof(*it));
	it->pkt = pkt;
	it->len = len;
	it->cap = cap < len ? len : cap;
	it->segs = 1;
	it->is_tcp_flow = seg->is_flow;
	it->flow_hash = seg->hash;
	it->iphlen = (uint8_t)seg->iphlen;
	if (!seg->is_candidate || !csum_ok)
		return;
	it->hdrlen = (uint8_t)seg->hdrlen;
	it->gso_size = (uint16_t)seg->payload;
	it->next_seq = seg->seq + (uint32_t)seg->payload;
	it->can_grow = !(seg->flags & TCP_PSH);
}

void gro_init(struct gro_table *t)
{
	t->count = 0;
}

enum gro_result gro_add(struct gro_table *t, uint8_t *pkt, size_t len,
			size_t cap)
{
	struct gro_item *it = NULL;
	struct tcp_seg seg;
	bool csum_ok = false;

	parse_tcp_seg(pkt, len, &seg);
	if (seg.is_flow)
		it = gro_find(t, pkt, &seg);
	if (it && can_append(it, pkt, &seg) && gro_append(it, pkt, &seg))
		return GRO_MERGED;
	if (t->count == GRO_MAX_FLOWS)
		return GRO_FULL;
	if (seg.is_candidate)
		csum_ok = tcp_csum_ok(pkt, &seg);
	gro_hold(t, pkt, len, cap, &seg, csum_ok);
	return GRO_HELD;
}

/* Finishes a coalesced item's headers; returns its virtio_net_hdr. */
static struct vnet_hdr gro_finish(struct gro_item *it)
{
	unsigned version = it->pkt[0] >> 4;
	size_t l4len = it->len - it->iphlen;
	uint32_t sum = pseudo_sum(it->pkt, version, IPPROTO_TCP);
	struct vnet_hdr h = {
		.flags = VNET_HDR_F_NEEDS_CSUM,
		.gso_type = version == 4 ? VNET_HDR_GSO_TCPV4 :
					   VNET_HDR_GSO_TCPV6,
		.hdr_len = it->hdrlen,
		.gso_size = it->gso_size,
		.csum_start = it->iphlen,
		.csum_offset = TCP_CSUM_OFF,
	};

	if (version == 4) {
		put16(it->pkt + 2, (uint16_t)it->len);
		ipv4_set_csum(it->pkt, it->iphlen);
	} else {
		put16(it->pkt + 4, (uint16_t)l4len);
	}
	put16(it->pkt + it->iphlen + TCP_CSUM_OFF,
	      csum_unfolded16(add_carry(sum, (uint32_t)l4len)));
	return h;
}

void gro_flush(struct gro_table *t,
	       void (*emit)(void *ctx, uint8_t *buf, size_t len), void *ctx)
{
	struct vnet_hdr h;
	unsigned i;

	for (i = 0; i < t->count; i++) {
		struct gro_item *it = &t->items[i];

		memset(&h, 0, sizeof(h));
		if (it->segs > 1)
			h = gro_finish(it);
		memcpy(it->pkt - VNET_HDR_LEN, &h, VNET_HDR_LEN);
		emit(ctx, it->pkt - VNET_HDR_LEN, it->len + VNET_HDR_LEN);
	}
	t->count = 0;
}
