/* SPDX-License-Identifier: MIT */
/*
 * Least privilege: after the TUN device, the UAPI socket and the UDP
 * sockets exist, the daemon can switch to an unprivileged user, keeping
 * only CAP_NET_ADMIN (fwmark, TUN MTU) and CAP_NET_BIND_SERVICE (a
 * listen-port below 1024). A small root "janitor" process stays behind
 * only to remove the UAPI socket file when the daemon exits, since the
 * socket directory belongs to root.
 */
#ifndef LW_PRIVDROP_H
#define LW_PRIVDROP_H

/* Forks the janitor (it removes uapi_path when we exit, if uapi_path is
 * not NULL), then becomes user. 0 or -errno; on error nothing changed
 * except that the janitor may exist (it then cleans up at our exit). */
int privdrop_to_user(const char *user, const char *uapi_path);

#endif
