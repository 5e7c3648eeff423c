/* SPDX-License-Identifier: MIT */
/*
 * The root helper of a daemon that dropped its privileges (privdrop.c): a
 * forked process that stays root with only CAP_NET_ADMIN and
 * CAP_NET_BIND_SERVICE and does, on the daemon's request, the privileged
 * steps of the UDP side: open and bind the sockets (any port, buffers
 * forced past rmem_max/wmem_max, SO_MARK), set SO_MARK on sockets handed to
 * it; and the TUN's carrier (TUNSETCARRIER) on the TUN fd handed to it. Descriptors travel over a SOCK_SEQPACKET socketpair with SCM_RIGHTS.
 * When the daemon's end closes (it exited, however) the helper removes the
 * UAPI socket file it was given and exits.
 *
 * Ownership: one helper per daemon; the daemon holds the channel's fd
 * (privhelper_start's result) for its whole life and never closes it.
 */
#ifndef LW_PRIVHELPER_H
#define LW_PRIVHELPER_H

#include <stdbool.h>
#include <stdint.h>

/* Forks the helper; it will unlink uapi_path (if not NULL and still the
 * file there now) when the channel closes. Returns the daemon's end of the
 * channel or -errno. */
int privhelper_start(const char *uapi_path);

/* Requests over the channel (fd from privhelper_start). The same contract
 * as udp_open() and udp_set_fwmark() on both sockets; 0 or -errno. */
int privhelper_udp_open(int chan, uint16_t port, uint32_t fwmark, int *fd4,
			int *fd6, uint16_t *bound_port);
int privhelper_set_fwmark(int chan, int fd4, int fd6, uint32_t fwmark);
/* tun_set_carrier() on the TUN fd, by the helper. */
int privhelper_tun_set_carrier(int chan, int tun_fd, bool on);

#endif
