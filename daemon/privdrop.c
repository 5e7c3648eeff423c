// SPDX-License-Identifier: MIT
/*
 * Dropping root after start-up (as boringtun does), without libcap: the
 * securebits, the bounding and ambient sets and the capability sets are
 * written with prctl(2) and capset(2) directly. Order matters: the root
 * helper is forked first (it keeps what later steps need); then, while
 * CAP_SETPCAP is still ours, securebits that keep setuid from touching the
 * capability sets (NO_SETUID_FIXUP) and forbid regaining them, the bounding
 * set emptied, the ambient set cleared; groups, gid, uid; the securebits
 * locked; every capability set emptied; PR_SET_NO_NEW_PRIVS. What the
 * kernel then reports is checked, not assumed.
 */
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "privhelper.h"
#include "tun.h"
#include "udp.h"

/* The channel to the root helper once there is one. */
static int helper_chan = -1;

#define SECBITS_FINAL                                                        \
	(SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |     \
	 SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |           \
	 SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED)

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

void privdrop_close_inherited(const int *keep, unsigned n)
{
	int sorted[8];
	unsigned m = 0, from = 3;

	for (unsigned i = 0; i < n && m < 8; i++)
		if (keep[i] >= 3)
			sorted[m++] = keep[i];
	qsort(sorted, m, sizeof(int), cmp_int);
	for (unsigned i = 0; i < m; i++) {
		if ((unsigned)sorted[i] > from)
			close_range(from, (unsigned)sorted[i] - 1, 0);
		from = (unsigned)sorted[i] + 1;
	}
	close_range(from, ~0U, 0);
}

/* Empties the bounding set, cap by cap until the kernel knows no more. */
static int drop_bounding_set(void)
{
	for (int cap = 0; cap < 64; cap++) {
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0)
			return 0; /* past the last capability */
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return -errno;
	}
	return 0;
}

static int set_caps(uint32_t keep)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { { 0 } };

	data[0].effective = data[0].permitted = keep;
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	return 0;
}

/* True if the kernel says no capability of any set is left. */
static bool caps_are_empty(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { { 0 } };

	if (syscall(SYS_capget, &hdr, data) < 0)
		return false;
	for (int i = 0; i < 2; i++)
		if (data[i].effective || data[i].permitted ||
		    data[i].inheritable)
			return false;
	return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_ADMIN, 0,
		     0) == 0 &&
	       prctl(PR_CAPBSET_READ, CAP_NET_ADMIN, 0, 0, 0) == 0;
}

static int become(const struct passwd *pw)
{
	if (prctl(PR_SET_SECUREBITS, SECBITS_FINAL & ~SECBIT_KEEP_CAPS_LOCKED,
		  0, 0, 0) < 0)
		return -errno;
	if (drop_bounding_set() < 0 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return -errno;
	if (setgroups(0, NULL) < 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
		return -errno;
	/* Still CAP_SETPCAP (NO_SETUID_FIXUP kept the sets): lock. */
	if (prctl(PR_SET_SECUREBITS, SECBITS_FINAL, 0, 0, 0) < 0)
		return -errno;
	return set_caps(0);
}

int privdrop_to_user(const char *user, const char *uapi_path)
{
	struct passwd *pw = getpwnam(user);
	int ret, chan;

	if (!pw)
		return -ENOENT;
	if (pw->pw_uid == 0)
		return 0; /* nothing to drop */
	chan = privhelper_start(uapi_path);
	if (chan < 0)
		return chan;
	helper_chan = chan;
	ret = become(pw);
	if (ret < 0)
		return ret;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	ret = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	if (ret != SECBITS_FINAL || !caps_are_empty())
		return -EPERM;
	log_verbose("dropped privileges to user %s (uid %u): no capabilities,"
		    " securebits 0x%x locked; a root helper binds and marks "
		    "sockets", user, (unsigned)pw->pw_uid, (unsigned)ret);
	return 0;
}

int privdrop_udp_open(uint16_t port, uint32_t fwmark, int *fd4, int *fd6,
		      uint16_t *bound_port)
{
	if (helper_chan < 0)
		return udp_open(port, fwmark, fd4, fd6, bound_port);
	return privhelper_udp_open(helper_chan, port, fwmark, fd4, fd6,
				   bound_port);
}

int privdrop_udp_set_fwmark(int fd4, int fd6, uint32_t fwmark)
{
	int ret;

	if (helper_chan >= 0)
		return privhelper_set_fwmark(helper_chan, fd4, fd6, fwmark);
	ret = udp_set_fwmark(fd4, fwmark);
	return ret ? ret : udp_set_fwmark(fd6, fwmark);
}

int privdrop_tun_set_carrier(int tun_fd, bool on)
{
	if (helper_chan >= 0)
		return privhelper_tun_set_carrier(helper_chan, tun_fd, on);
	return tun_set_carrier(tun_fd, on);
}
