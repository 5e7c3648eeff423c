/* SPDX-License-Identifier: MIT */
/*
 * The UDP sockets: one IPv4 and one IPv6 (v6-only) socket bound to the same
 * port, as wireguard-go and the kernel do, so both outer families work on
 * one listening port. They stay in the namespace the daemon started in.
 */
#ifndef LW_UDP_H
#define LW_UDP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* Binds both sockets to port (0 = pick one free for both). On success the
 * fds and the bound port are returned; either fd may be -1 if that family
 * is unavailable, but not both. 0 or -errno. */
int udp_open(uint16_t port, uint32_t fwmark, int *fd4, int *fd6,
	     uint16_t *bound_port);
int udp_set_fwmark(int fd, uint32_t fwmark);
/* Asks for coalesced receives (UDP_GRO). False if the kernel says no. */
bool udp_enable_gro(int fd);
/* Sends one datagram to dst on whichever socket matches its family. */
int udp_send(int fd4, int fd6, const struct sockaddr *dst, const void *buf,
	     size_t len);

#endif
