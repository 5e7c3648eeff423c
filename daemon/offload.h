/* SPDX-License-Identifier: MIT */
/*
 * TUN segmentation and receive offload (issue 4), pure packet logic with no
 * I/O. With IFF_VNET_HDR and TUNSETOFFLOAD every TUN read starts with a
 * struct virtio_net_hdr and may carry a TCP or UDP super-packet of up to
 * 64 KiB: offload_split() cuts it into the plain IP packets that WireGuard
 * encrypts one by one (TSO/USO done in user space). Going the other way,
 * gro_add() coalesces decrypted TCP segments of one flow into one packet
 * and gro_flush() hands each held packet to the TUN writer behind a
 * virtio_net_hdr that lets the kernel resegment it (user-space GRO).
 *
 * virtio_net_hdr fields are in host byte order, as TUN uses them unless
 * TUNSETVNETLE/TUNSETVNETBE is called; the header size must stay
 * VNET_HDR_LEN (the TUN default; never TUNSETVNETHDRSZ to another size).
 * No locks inside: the caller serialises use of one gro_table.
 */
#ifndef LW_OFFLOAD_H
#define LW_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* sizeof(struct virtio_net_hdr) from linux/virtio_net.h. */
#define VNET_HDR_LEN 10

/* virtio_net_hdr values (linux/virtio_net.h; UDP_L4 is Linux 5.0+). */
#define VNET_HDR_F_NEEDS_CSUM 1
#define VNET_HDR_GSO_NONE 0
#define VNET_HDR_GSO_TCPV4 1
#define VNET_HDR_GSO_TCPV6 4
#define VNET_HDR_GSO_UDP_L4 5
#define VNET_HDR_GSO_ECN 0x80

/* TUNSETOFFLOAD arguments (linux/if_tun.h): TUN_F_CSUM | TUN_F_TSO4 |
 * TUN_F_TSO6, then additionally TUN_F_USO4 | TUN_F_USO6 (Linux 6.2+). */
#define OFFLOAD_TUN_F_TCP (0x01 | 0x02 | 0x04)
#define OFFLOAD_TUN_F_USO (0x20 | 0x40)

/* The wire layout of struct virtio_net_hdr, host byte order. */
struct vnet_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
};

/* ---- segmentation (TUN read -> encrypt) ---- */

/*
 * Splits one TUN read, in[0..len) = virtio_net_hdr + IP packet, into plain
 * IP packets. Packet i is written at out[i] + headroom and its length
 * stored in out_len[i]; each out[i] has out_cap bytes (so room for
 * out_cap - headroom bytes of packet; keep any tailroom out of out_cap).
 *
 * GSO_NONE: the packet is copied; with VNET_HDR_F_NEEDS_CSUM its checksum
 * is completed (the field at csum_start + csum_offset holds the partial
 * pseudo-header sum; the sum from csum_start to the end is stored, a zero
 * result as 0xffff). GSO_TCPV4/TCPV6: the payload is cut into gso_size
 * pieces; every segment gets its own IPv4 total length, id + i and header
 * checksum, or IPv6 payload length, TCP seq + offset, FIN/PSH only on the
 * last segment, CWR only on the first, and a full TCP checksum.
 * GSO_UDP_L4 (USO): datagrams of gso_size payload, each with its UDP length
 * and checksum (0 sent as 0xffff). GSO_ECN is accepted. hdr_len from the
 * kernel is ignored: headers are measured from the packet itself.
 *
 * IPv4 options are copied into every segment; GSO packets with IPv6
 * extension headers are refused (csum_start must be the IP header length).
 *
 * Returns the number of packets (>= 1); -EINVAL for a malformed header or
 * packet (not IPv4/IPv6, IP version or protocol not matching gso_type,
 * csum_start or csum_offset out of range, gso_size 0 with GSO, an IPv4
 * fragment, truncated headers, a segment longer than its length field
 * allows, an unknown gso_type or legacy UFO); or -ENOSPC when more than
 * max_out packets would be needed or one does not fit in out_cap -
 * headroom. Everything is checked before anything is written, so on
 * error out[] is untouched. Never reads in[] past len or writes past
 * out[i] + out_cap.
 */
int offload_split(const uint8_t *in, size_t len, uint8_t *const out[],
		  size_t out_cap, size_t headroom, size_t out_len[],
		  unsigned max_out);
/*
 * The same split, a window at a time, for super-packets of more segments
 * than the caller has slots (a small gso_size gives up to 64 KiB / MSS):
 * writes packets first .. first + max_out - 1 of the split (fewer at the
 * end) to out[0..] and returns how many, 0 once first is past the last.
 * Call with first = 0, then first += n while n == max_out; segment numbers
 * (IPv4 id + i, seq offsets, flags) are those of the whole split. Errors
 * as offload_split() except that too many segments is not one.
 */
int offload_split_at(const uint8_t *in, size_t len, unsigned first,
		     uint8_t *const out[], size_t out_cap, size_t headroom,
		     size_t out_len[], unsigned max_out);

/* ---- coalescing (decrypt -> TUN write) ---- */

#define GRO_MAX_FLOWS 64

/* One packet held by a gro_table: a pointer into the caller's buffer (the
 * caller owns it and keeps it until gro_flush()). Private to offload_gro.c. */
struct gro_item {
	uint8_t *pkt;
	size_t len;
	size_t cap;
	uint32_t flow_hash;
	uint32_t next_seq;	/* seq of the byte after the held payload */
	uint16_t gso_size;	/* payload bytes of the first segment */
	uint16_t segs;		/* segments held; > 1 means coalesced */
	uint8_t iphlen;
	uint8_t hdrlen;		/* IP + TCP header */
	bool is_tcp_flow;	/* flow_hash is meaningful */
	bool can_grow;		/* later segments may be appended */
};

/* Owned by the caller (one per receive batch); no allocations inside. */
struct gro_table {
	struct gro_item items[GRO_MAX_FLOWS];
	unsigned count;
};

enum gro_result {
	GRO_HELD,	/* pkt is now an item: keep its buffer until flush */
	GRO_MERGED,	/* payload appended to an item: pkt's buffer is free */
	GRO_FULL,	/* table full, pkt untouched: flush, then add again */
};

void gro_init(struct gro_table *t);
/*
 * Offers one decrypted IPv4/IPv6 packet pkt[0..len) for the TUN. The
 * buffer must have VNET_HDR_LEN writable bytes before pkt and cap >= len
 * bytes from pkt on (room for coalesced payload).
 *
 * Appends pkt's payload to the most recent item of its TCP flow if pkt
 * continues it: same addresses and ports; same IP version, TOS or traffic
 * class and flow label, TTL or hop limit, DF; no IPv4 options or IPv6
 * extension headers; same TCP header length and identical options, ack
 * and window; seq == the item's next seq; flags ACK or ACK|PSH (PSH ends
 * the item); payload 1..gso_size bytes and the item's last segment not
 * shorter than gso_size; total <= 65535 and <= the item's cap; pkt's IP
 * length field equal to len (trim WireGuard padding first); and pkt's
 * IPv4 header and TCP checksums valid. Then returns GRO_MERGED.
 * Otherwise pkt becomes a new item (GRO_HELD), or, when the table already
 * holds GRO_MAX_FLOWS items, nothing happens (GRO_FULL): call gro_flush()
 * and offer it again (writing it straight away would put it ahead of
 * held packets of its own flow).
 */
enum gro_result gro_add(struct gro_table *t, uint8_t *pkt, size_t len,
			size_t cap);
/*
 * For each item in arrival order writes a virtio_net_hdr into the
 * VNET_HDR_LEN bytes before it and calls emit(ctx, pkt - VNET_HDR_LEN,
 * len + VNET_HDR_LEN). A coalesced item gets gso_type TCPV4/TCPV6,
 * gso_size, hdr_len, NEEDS_CSUM with csum_start/csum_offset, its TCP
 * checksum field set to the pseudo-header sum, and its IPv4 total length
 * and header checksum or IPv6 payload length fixed; any other item is
 * sent unchanged behind an all-zero header. Then empties the table.
 */
void gro_flush(struct gro_table *t,
	       void (*emit)(void *ctx, uint8_t *buf, size_t len), void *ctx);

/* ---- Internet checksum (RFC 1071) ---- */

/* Adds the 16-bit big-endian words of p[0..len) (an odd last byte padded
 * with zero) to sum, keeping end-around carries; p[0] must sit at an even
 * offset of the checksummed span. Fast: 8 bytes a step. */
uint32_t inet_csum_partial(const uint8_t *p, size_t len, uint32_t sum);
/* Folds sum to 16 bits and returns its ones' complement: the value for a
 * checksum field (store big-endian). */
uint16_t inet_csum_fold(uint32_t sum);

#endif
