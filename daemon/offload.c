// SPDX-License-Identifier: MIT
/*
 * User-space TSO/USO and GRO for a TUN opened with IFF_VNET_HDR (issue 4).
 * Splitting follows what the kernel's tcp_gso_segment/__udp_gso_segment
 * would have done on a real NIC: headers are measured from the packet (the
 * kernel's hdr_len is not trusted), each segment gets fresh lengths, IPv4
 * id and header checksum, TCP seq and flags, and a checksum computed from
 * scratch in the same pass that copies its payload. Coalescing follows the
 * kernel's tcp_gro_receive rules, restricted to appending in order to the
 * most recent packet of a flow so that nothing is ever reordered; each
 * appended segment's checksum is verified while its payload is copied,
 * because the coalesced packet goes out marked NEEDS_CSUM and the kernel
 * will not check it again. Checksums are summed in host order 8 bytes at
 * a time and byte-swapped once at the end (RFC 1071 section 2(B)).
 */
#include "offload.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <string.h>

#define IPV4_HDR_MIN 20
#define IPV6_HDR_LEN 40
#define TCP_HDR_MIN 20
#define UDP_HDR_LEN 8
#define TCP_CSUM_OFF 16
#define UDP_CSUM_OFF 6
#define IP_LEN_MAX 65535

#define IPV4_DF 0x4000
#define IPV4_MF 0x2000
#define IPV4_FRAG_OFF 0x1fff

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_CWR 0x80

_Static_assert(sizeof(struct vnet_hdr) == VNET_HDR_LEN,
	       "struct vnet_hdr matches struct virtio_net_hdr");

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* ---- checksums ---- */

/* Host-order sum of p[0..len): 32-bit halves of 64-bit loads into a 64-bit
 * accumulator, which cannot overflow below 16 GiB. An odd last byte goes
 * into the lower-addressed byte of its word, as a 16-bit load would. */
static uint64_t sum_native(const uint8_t *p, size_t len)
{
	uint64_t acc = 0, w8;
	uint32_t w4;
	uint16_t w2 = 0;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w8, p, 8);
		acc += (w8 & 0xffffffff) + (w8 >> 32);
	}
	if (len >= 4) {
		memcpy(&w4, p, 4);
		acc += w4;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&w2, p, 2);
		acc += w2;
		p += 2;
		len -= 2;
	}
	if (len) {
		w2 = 0;
		memcpy(&w2, p, 1);
		acc += w2;
	}
	return acc;
}

/* sum_native() of src while copying it to dst: one pass over the data. */
static uint64_t sum_copy_native(uint8_t *dst, const uint8_t *src, size_t len)
{
	uint64_t acc = 0, w8;

	for (; len >= 8; src += 8, dst += 8, len -= 8) {
		memcpy(&w8, src, 8);
		memcpy(dst, &w8, 8);
		acc += (w8 & 0xffffffff) + (w8 >> 32);
	}
	memcpy(dst, src, len);
	return acc + sum_native(src, len);
}

/* Folds a host-order accumulator to the 16-bit network-order sum (not
 * complemented). */
static uint16_t fold_native(uint64_t acc)
{
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap16((uint16_t)acc);
#else
	return (uint16_t)acc;
#endif
}

/* a + b with the carry out of bit 31 added back in. */
static uint32_t add_carry(uint32_t a, uint32_t b)
{
	uint32_t s = a + b;

	return s + (s < b);
}

uint32_t inet_csum_partial(const uint8_t *p, size_t len, uint32_t sum)
{
	return add_carry(sum, fold_native(sum_native(p, len)));
}

uint16_t inet_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The folded sum itself, as CHECKSUM_PARTIAL leaves it in the field. */
static uint16_t csum_unfolded16(uint32_t sum)
{
	return (uint16_t)~inet_csum_fold(sum);
}

/* Source, destination and protocol of the pseudo-header (RFC 9293 3.1,
 * RFC 8200 8.1); the upper-layer length is added per packet. */
static uint32_t pseudo_sum(const uint8_t *ip, unsigned version, uint8_t proto)
{
	if (version == 4)
		return inet_csum_partial(ip + 12, 8, proto);
	return inet_csum_partial(ip + 8, 32, proto);
}

static void ipv4_set_csum(uint8_t *ip, size_t iphlen)
{
	put16(ip + 10, 0);
	put16(ip + 10, inet_csum_fold(inet_csum_partial(ip, iphlen, 0)));
}

/* ---- packet geometry ---- */

/* Reads the fixed IP header: version, header length, upper protocol. An
 * IPv6 packet's next header is taken as its protocol (no extension
 * headers are followed). */
static int parse_ip(const uint8_t *pkt, size_t len, unsigned *version,
		    size_t *iphlen, uint8_t *proto)
{
	if (len < 1)
		return -EINVAL;
	*version = pkt[0] >> 4;
	if (*version == 4) {
		*iphlen = (size_t)(pkt[0] & 0x0f) * 4;
		if (len < IPV4_HDR_MIN || *iphlen < IPV4_HDR_MIN ||
		    *iphlen > len)
			return -EINVAL;
		*proto = pkt[9];
		return 0;
	}
	if (*version == 6) {
		*iphlen = IPV6_HDR_LEN;
		if (len < IPV6_HDR_LEN)
			return -EINVAL;
		*proto = pkt[6];
		return 0;
	}
	return -EINVAL;
}

/* ---- segmentation ---- */

/* A super-packet measured for segmentation. */
struct gso_pkt {
	const uint8_t *pkt;
	size_t len;
	unsigned version;
	uint8_t proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	size_t iphlen;
	size_t hdrlen;		/* IP + TCP/UDP header */
	size_t gso_size;
	size_t payload;		/* len - hdrlen */
	unsigned nseg;
	uint32_t psum;		/* pseudo_sum() */
};

/* GSO_NONE: copies the packet, completing a partial checksum on the way. */
static int split_none(const struct vnet_hdr *h, const uint8_t *pkt,
		      size_t len, uint8_t *dst, size_t room, size_t *out_len)
{
	size_t iphlen, start = h->csum_start, at;
	unsigned version;
	uint8_t proto;
	uint16_t csum;

	if (parse_ip(pkt, len, &version, &iphlen, &proto))
		return -EINVAL;
	if (!(h->flags & VNET_HDR_F_NEEDS_CSUM)) {
		if (len > room)
			return -ENOSPC;
		memcpy(dst, pkt, len);
		*out_len = len;
		return 1;
	}
	if (start < iphlen || start > len || len - start < 2 ||
	    h->csum_offset > len - start - 2)
		return -EINVAL;
	if (len > room)
		return -ENOSPC;
	memcpy(dst, pkt, start);
	at = start + h->csum_offset;
	csum = inet_csum_fold(fold_native(sum_copy_native(dst + start,
							  pkt + start,
							  len - start)));
	put16(dst + at, csum ? csum : 0xffff);
	*out_len = len;
	return 1;
}

/* Checks the GSO type and the IP header against it; measures the
 * headers. */
static int gso_measure(const struct vnet_hdr *h, struct gso_pkt *g)
{
	uint8_t type = h->gso_type & ~VNET_HDR_GSO_ECN;
	size_t l4hlen;

	if (type != VNET_HDR_GSO_TCPV4 && type != VNET_HDR_GSO_TCPV6 &&
	    type != VNET_HDR_GSO_UDP_L4)
		return -EINVAL;
	if (parse_ip(g->pkt, g->len, &g->version, &g->iphlen, &g->proto))
		return -EINVAL;
	if ((type == VNET_HDR_GSO_TCPV4 && g->version != 4) ||
	    (type == VNET_HDR_GSO_TCPV6 && g->version != 6))
		return -EINVAL;
	if (g->proto != (type == VNET_HDR_GSO_UDP_L4 ? IPPROTO_UDP :
						       IPPROTO_TCP))
		return -EINVAL;
	if (g->version == 4 && (get16(g->pkt + 6) & (IPV4_MF | IPV4_FRAG_OFF)))
		return -EINVAL;
	if (h->csum_start != g->iphlen || h->gso_size == 0)
		return -EINVAL;
	if (g->proto == IPPROTO_TCP) {
		if (g->len - g->iphlen < TCP_HDR_MIN)
			return -EINVAL;
		l4hlen = (size_t)(g->pkt[g->iphlen + 12] >> 4) * 4;
		if (l4hlen < TCP_HDR_MIN)
			return -EINVAL;
	} else {
		l4hlen = UDP_HDR_LEN;
	}
	if (g->len - g->iphlen < l4hlen)
		return -EINVAL;
	g->hdrlen = g->iphlen + l4hlen;
	g->gso_size = h->gso_size;
	g->payload = g->len - g->hdrlen;
	return 0;
}

/* Counts segments and checks each fits its length fields and its slot. */
static int gso_count(struct gso_pkt *g, size_t room)
{
	size_t first = g->payload < g->gso_size ? g->payload : g->gso_size;
	size_t nseg = g->payload ? (g->payload - 1) / g->gso_size + 1 : 1;

	/* The first segment is the longest. */
	if (g->hdrlen + first > IP_LEN_MAX + (g->version == 6 ? 40 : 0))
		return -EINVAL;
	if (g->hdrlen + first > room)
		return -ENOSPC;
	g->nseg = (unsigned)nseg;
	g->psum = pseudo_sum(g->pkt, g->version, g->proto);
	return 0;
}

/* Segment i's IP header: length, IPv4 id + i and header checksum. */
static void gso_fix_ip(const struct gso_pkt *g, uint8_t *ip, size_t seglen,
		       unsigned i)
{
	if (g->version == 6) {
		put16(ip + 4, (uint16_t)(seglen - IPV6_HDR_LEN));
		return;
	}
	put16(ip + 2, (uint16_t)seglen);
	put16(ip + 4, (uint16_t)(get16(g->pkt + 4) + i));
	ipv4_set_csum(ip, g->iphlen);
}

/* Segment i's TCP seq and flags, or UDP length; zeroes the checksum and
 * returns its offset in the L4 header. */
static size_t gso_fix_l4(const struct gso_pkt *g, uint8_t *l4, size_t l4len,
			 size_t off, unsigned i)
{
	const uint8_t *th = g->pkt + g->iphlen;

	if (g->proto == IPPROTO_UDP) {
		put16(l4 + 4, (uint16_t)l4len);
		put16(l4 + UDP_CSUM_OFF, 0);
		return UDP_CSUM_OFF;
	}
	put32(l4 + 4, get32(th + 4) + (uint32_t)off);
	if (i + 1 < g->nseg)
		l4[13] &= ~(TCP_FIN | TCP_PSH);
	if (i > 0)
		l4[13] &= ~TCP_CWR;
	put16(l4 + TCP_CSUM_OFF, 0);
	return TCP_CSUM_OFF;
}

/* Writes segment i to dst; returns its length. */
static size_t gso_write_segment(const struct gso_pkt *g, uint8_t *dst,
				unsigned i)
{
	size_t off = (size_t)i * g->gso_size;
	size_t pay = g->payload - off < g->gso_size ? g->payload - off :
						      g->gso_size;
	size_t l4hlen = g->hdrlen - g->iphlen, l4len = l4hlen + pay;
	uint8_t *l4 = dst + g->iphlen;
	size_t csum_off;
	uint64_t acc;
	uint16_t csum;

	memcpy(dst, g->pkt, g->hdrlen);
	gso_fix_ip(g, dst, g->hdrlen + pay, i);
	csum_off = gso_fix_l4(g, l4, l4len, off, i);
	/* The payload starts at an even offset of the L4 header (its length
	 * is a multiple of 4), so the host-order sums simply add. */
	acc = sum_native(l4, l4hlen) +
	      sum_copy_native(dst + g->hdrlen, g->pkt + g->hdrlen + off, pay);
	csum = inet_csum_fold(add_carry(g->psum + (uint32_t)l4len,
					fold_native(acc)));
	if (csum == 0 && g->proto == IPPROTO_UDP)
		csum = 0xffff;
	put16(l4 + csum_off, csum);
	return g->hdrlen + pay;
}

/* Writes packets first .. first + max_out - 1 of the split; with whole,
 * all of them or none (-ENOSPC). */
static int split_read(const uint8_t *in, size_t len, unsigned first,
		      uint8_t *const out[], size_t out_cap, size_t headroom,
		      size_t out_len[], unsigned max_out, bool whole)
{
	struct gso_pkt g = { 0 };
	struct vnet_hdr h;
	unsigned i, n;
	size_t room;
	int ret;

	if (len < VNET_HDR_LEN)
		return -EINVAL;
	memcpy(&h, in, VNET_HDR_LEN);
	g.pkt = in + VNET_HDR_LEN;
	g.len = len - VNET_HDR_LEN;
	if (max_out == 0 || headroom > out_cap)
		return -ENOSPC;
	if (max_out > INT_MAX)
		max_out = INT_MAX;
	room = out_cap - headroom;
	if ((h.gso_type & ~VNET_HDR_GSO_ECN) == VNET_HDR_GSO_NONE)
		return first ? 0 : split_none(&h, g.pkt, g.len,
					      out[0] + headroom, room, out_len);
	ret = gso_measure(&h, &g);
	if (!ret)
		ret = gso_count(&g, room);
	if (ret)
		return ret;
	if (whole && g.nseg > max_out)
		return -ENOSPC;
	if (first >= g.nseg)
		return 0;
	n = g.nseg - first < max_out ? g.nseg - first : max_out;
	for (i = 0; i < n; i++)
		out_len[i] = gso_write_segment(&g, out[i] + headroom,
					       first + i);
	return (int)n;
}

int offload_split(const uint8_t *in, size_t len, uint8_t *const out[],
		  size_t out_cap, size_t headroom, size_t out_len[],
		  unsigned max_out)
{
	return split_read(in, len, 0, out, out_cap, headroom, out_len,
			  max_out, true);
}

int offload_split_at(const uint8_t *in, size_t len, unsigned first,
		     uint8_t *const out[], size_t out_cap, size_t headroom,
		     size_t out_len[], unsigned max_out)
{
	return split_read(in, len, first, out, out_cap, headroom, out_len,
			  max_out, false);
}

/* ---- coalescing ---- */

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
