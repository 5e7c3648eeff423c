/* SPDX-License-Identifier: MIT */
/*
 * The send path (send.c): packets from the TUN become encrypted transport
 * messages in outbound batches; handshake initiations, keepalives and the
 * staged queue. Runs on the event-loop thread.
 */
#ifndef LW_SEND_H
#define LW_SEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct device;
struct peer;

/* Reads what the TUN holds (bounded) and sends it. */
void send_packets_from_tun(struct device *dev);
void send_handshake_initiation(struct peer *peer, bool is_retry);
void send_keepalive(struct peer *peer);
void send_staged_packets(struct peer *peer);
/* Sends one finished message (handshake or transport) to the peer's
 * endpoint and counts it in tx_bytes. 0 or -errno. */
int send_buffer_to_peer(struct peer *peer, const uint8_t *msg, size_t len);

#endif
