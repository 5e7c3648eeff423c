// SPDX-License-Identifier: MIT
/*
 * User-space TSO/USO for a TUN opened with IFF_VNET_HDR (issue 4): each TUN
 * read starts with a virtio_net_hdr, and offload_split() cuts the packet
 * behind it into plain IP packets. Splitting follows what the kernel's
 * tcp_gso_segment/__udp_gso_segment would have done on a real NIC: headers
 * are measured from the packet (the kernel's hdr_len is not trusted), each
 * segment gets fresh lengths, IPv4 id and header checksum, TCP seq and
 * flags, and a checksum computed from scratch in the same pass that copies
 * its payload (offload_csum.c). Coalescing of TUN writes (GRO) is in
 * offload_gro.c.
 */
#include "offload_internal.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <string.h>

_Static_assert(sizeof(struct vnet_hdr) == VNET_HDR_LEN,
	       "struct vnet_hdr matches struct virtio_net_hdr");


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
