/* SPDX-License-Identifier: MIT */
/*
 * The Linux TUN device: create (IFF_TUN | IFF_NO_PI), set its MTU, and
 * recognise the errors that mean the interface was deleted.
 */
#ifndef LW_TUN_H
#define LW_TUN_H

#include <stdbool.h>

/* Opens /dev/net/tun and attaches it as ifname (created if needed).
 * Returns the fd or -errno. The fd is non-blocking and close-on-exec. */
int tun_create(const char *ifname);
/* Uses an fd passed by the parent (WG_TUN_FD); reads back its name. */
int tun_adopt(int fd, char *ifname_out, unsigned len);
int tun_set_mtu(const char *ifname, int mtu);
int tun_get_mtu(const char *ifname);
/* True for read/write errors after which the device is gone for good. */
bool tun_error_is_fatal(int err);

#endif
