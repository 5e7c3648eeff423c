// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness of TUN offload (daemon/offload*.c). The first input
 * byte picks the mode. Even: the rest is one TUN read (virtio_net_hdr +
 * packet) for offload_split() into 64 slots of 64 KiB, each a separate
 * heap block so ASan sees any overrun; the segments it makes are then fed
 * to gro_add() and flushed, or after -ENOSPC offload_split_at() walks the
 * read in windows. Odd: the rest is a list of packets, each a
 * 2-byte big-endian length and its bytes, fed straight to gro_add()
 * (flushing when the table is full). Besides the sanitizers' findings it
 * traps when a promise breaks: a return value out of range, a segment
 * longer than its slot or disagreeing with its IP length field, a GSO
 * segment whose checksum does not verify, GRO_FULL right after a flush, or
 * a coalesced packet whose completed checksum does not verify or that
 * offload_split() calls malformed.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "offload.h"

#define SLOTS 64
#define SLOT 65536
#define HEADROOM 16

static uint8_t *slot[SLOTS], *resplit[SLOTS];
static size_t slot_len[SLOTS], resplit_len[SLOTS];
static volatile uint8_t sink;

static void setup(void)
{
	unsigned i;

	for (i = 0; i < SLOTS; i++) {
		slot[i] = malloc(SLOT);
		resplit[i] = malloc(SLOT);
	}
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The L4 checksum of an IP packet with no IPv6 extension headers. */
static bool l4_csum_ok(const uint8_t *pkt, size_t len)
{
	size_t iphlen = (pkt[0] >> 4) == 4 ? (size_t)(pkt[0] & 15) * 4 : 40;
	uint32_t sum;

	if ((pkt[0] >> 4) == 4)
		sum = inet_csum_partial(pkt + 12, 8, pkt[9]);
	else
		sum = inet_csum_partial(pkt + 8, 32, pkt[6]);
	sum = inet_csum_partial(pkt + iphlen, len - iphlen,
				sum + (uint32_t)(len - iphlen));
	return inet_csum_fold(sum) == 0;
}

static void check_segment(const uint8_t *in, const uint8_t *pkt, size_t len)
{
	struct vnet_hdr h;

	memcpy(&h, in, VNET_HDR_LEN);
	if (len > SLOT - HEADROOM)
		__builtin_trap();
	if ((h.gso_type & ~VNET_HDR_GSO_ECN) == VNET_HDR_GSO_NONE)
		return;
	if ((pkt[0] >> 4) == 4 && rd16(pkt + 2) != len)
		__builtin_trap();
	if ((pkt[0] >> 4) == 6 && rd16(pkt + 4) + 40u != len)
		__builtin_trap();
	if (!l4_csum_ok(pkt, len))
		__builtin_trap();
}

/* Completes the checksum of a coalesced packet in place (the buffer is
 * done with after this) and checks it, then splits it again. */
static void check_coalesced(uint8_t *buf, size_t len)
{
	uint8_t *pkt = buf + VNET_HDR_LEN;
	size_t plen = len - VNET_HDR_LEN, at;
	struct vnet_hdr h;
	uint32_t sum;
	int ret;

	memcpy(&h, buf, VNET_HDR_LEN);
	ret = offload_split(buf, len, resplit, SLOT, HEADROOM, resplit_len,
			    SLOTS);
	if (ret == -EINVAL)
		__builtin_trap();
	if (h.csum_start + h.csum_offset + 2u > plen)
		__builtin_trap();
	at = h.csum_start + h.csum_offset;
	sum = inet_csum_partial(pkt + h.csum_start, plen - h.csum_start, 0);
	pkt[at] = inet_csum_fold(sum) >> 8;
	pkt[at + 1] = inet_csum_fold(sum) & 0xff;
	if (!l4_csum_ok(pkt, plen))
		__builtin_trap();
}

static void emit(void *ctx, uint8_t *buf, size_t len)
{
	struct vnet_hdr h;
	size_t i;

	(void)ctx;
	if (len < VNET_HDR_LEN || len > SLOT - HEADROOM + VNET_HDR_LEN)
		__builtin_trap();
	for (i = 0; i < len; i++)
		sink ^= buf[i];
	memcpy(&h, buf, VNET_HDR_LEN);
	if (h.gso_type != VNET_HDR_GSO_NONE)
		check_coalesced(buf, len);
}

/* Offers slot i's packet, flushing once if the table is full. */
static void offer(struct gro_table *t, unsigned i)
{
	uint8_t *pkt = slot[i] + HEADROOM;

	if (gro_add(t, pkt, slot_len[i], SLOT - HEADROOM) != GRO_FULL)
		return;
	gro_flush(t, emit, NULL);
	if (gro_add(t, pkt, slot_len[i], SLOT - HEADROOM) == GRO_FULL)
		__builtin_trap();
}

/* After -ENOSPC: the same read a window of SLOTS segments at a time,
 * which must not call it malformed (at most 16 windows). */
static void fuzz_windows(const uint8_t *data, size_t size)
{
	unsigned first = 0, w;
	int n, i;

	for (w = 0; w < 16; w++) {
		n = offload_split_at(data, size, first, slot, SLOT, HEADROOM,
				     slot_len, SLOTS);
		if (n == -EINVAL || n < -ENOSPC || n > SLOTS)
			__builtin_trap();
		for (i = 0; i < n; i++)
			check_segment(data, slot[i] + HEADROOM, slot_len[i]);
		if (n < SLOTS)
			return;
		first += SLOTS;
	}
}

static void fuzz_split(const uint8_t *data, size_t size)
{
	struct gro_table t;
	int n, i;

	n = offload_split(data, size, slot, SLOT, HEADROOM, slot_len, SLOTS);
	if (n == -ENOSPC)
		fuzz_windows(data, size);
	if (n == -EINVAL || n == -ENOSPC)
		return;
	if (n < 1 || n > SLOTS)
		__builtin_trap();
	gro_init(&t);
	for (i = 0; i < n; i++) {
		check_segment(data, slot[i] + HEADROOM, slot_len[i]);
		offer(&t, (unsigned)i);
	}
	gro_flush(&t, emit, NULL);
}

static void fuzz_gro(const uint8_t *data, size_t size)
{
	struct gro_table t;
	unsigned n = 0;
	size_t len;

	gro_init(&t);
	while (size >= 2 && n < SLOTS) {
		len = rd16(data);
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		if (len > SLOT - HEADROOM)
			len = SLOT - HEADROOM;
		memcpy(slot[n] + HEADROOM, data, len);
		slot_len[n] = len;
		offer(&t, n++);
		data += len;
		size -= len;
	}
	gro_flush(&t, emit, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!slot[0])
		setup();
	if (size < 1)
		return 0;
	if (data[0] & 1)
		fuzz_gro(data + 1, size - 1);
	else
		fuzz_split(data + 1, size - 1);
	return 0;
}
