/* SPDX-License-Identifier: MIT */
/*
 * The Linux TUN device: create (IFF_TUN | IFF_NO_PI), set its MTU, and
 * recognise the errors that mean the interface was deleted.
 */
#ifndef LW_TUN_H
#define LW_TUN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* What the kernel agreed to for one TUN fd. */
struct tun_offloads {
	bool vnet_hdr; /* every read/write starts with a virtio_net_hdr */
	bool tso;      /* reads may be TCP super-packets (TSO4/TSO6) */
	bool uso;      /* reads may be UDP super-packets (USO4/USO6) */
};

/* Opens /dev/net/tun and attaches it as ifname (created if needed). With
 * want_offloads, asks for IFF_VNET_HDR and TSO/USO, falling back (and
 * saying why, once, in the log) to whatever the kernel grants. Returns the
 * fd or -errno. The fd is non-blocking and close-on-exec. */
int tun_create(const char *ifname, bool want_offloads,
	       struct tun_offloads *got);
/* Uses an fd passed by the parent (WG_TUN_FD); reads back its name and
 * whether it carries virtio_net_hdrs (offloads are left as they are, and
 * assumed on when it does). */
int tun_adopt(int fd, char *ifname_out, unsigned len,
	      struct tun_offloads *got);
int tun_set_mtu(const char *ifname, int mtu);
/* TUNSETCARRIER (Linux 5.0+, CAP_NET_ADMIN): 0 or -errno; -EINVAL for an
 * fd that is not a TUN. */
int tun_set_carrier(int fd, bool on);
int tun_get_mtu(const char *ifname);
/* True for read/write errors after which the device is gone for good. */
bool tun_error_is_fatal(int err);
/* One packet (or virtio super-packet) from / to the TUN fd. read: its
 * length, -EAGAIN when empty, or another -errno; write: 0 or -errno.
 * Everything the daemon reads and writes on its TUN goes through these. */
ssize_t tun_read(int fd, void *buf, size_t cap);
int tun_write(int fd, const void *buf, size_t len);

#endif
