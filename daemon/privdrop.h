/* SPDX-License-Identifier: MIT */
/*
 * Least privilege. After the TUN device, the UAPI socket and the UDP
 * sockets exist, the daemon becomes an unprivileged user with no
 * capability at all (effective, permitted, inheritable, ambient and the
 * bounding set empty), its securebits set and locked (NOROOT,
 * NO_SETUID_FIXUP, KEEP_CAPS off, NO_CAP_AMBIENT_RAISE) and
 * PR_SET_NO_NEW_PRIVS. What still needs privileges later - binding a new
 * listen port (below 1024 too), forcing socket buffers, SO_MARK - is done
 * by a root helper forked first (privhelper.h), which hands the sockets
 * back; it also removes the UAPI socket file when the daemon exits.
 */
#ifndef LW_PRIVDROP_H
#define LW_PRIVDROP_H

#include <stdbool.h>
#include <stdint.h>

/* Closes every descriptor from 3 up except the n in keep (the ones handed
 * over by WG_TUN_FD / WG_UAPI_FD): nothing inherited stays open. */
void privdrop_close_inherited(const int *keep, unsigned n);

/* Forks the root helper (it removes uapi_path when we exit, if uapi_path is
 * not NULL), then becomes user as above. 0 or -errno; -ENOENT for no such
 * user. A user with uid 0 changes nothing. On error the daemon must exit. */
int privdrop_to_user(const char *user, const char *uapi_path);

/*
 * The hook for device code: how the UDP sockets are opened and marked.
 * Before privdrop_to_user() (or without -u) these are udp_open() and
 * udp_set_fwmark() on each socket; after it, the root helper does the
 * same and passes the descriptors back. Same contracts; 0 or -errno.
 */
int privdrop_udp_open(uint16_t port, uint32_t fwmark, int *fd4, int *fd6,
		      uint16_t *bound_port);
int privdrop_udp_set_fwmark(int fd4, int fd6, uint32_t fwmark);
/* TUNSETCARRIER on the TUN fd (needs CAP_NET_ADMIN: the helper's, after
 * the drop). 0 or -errno. */
int privdrop_tun_set_carrier(int tun_fd, bool on);

#endif
