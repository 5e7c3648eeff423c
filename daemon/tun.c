// SPDX-License-Identifier: MIT
/*
 * TUN device handling. MTU changes go through an ioctl on a socket in the
 * daemon's own namespace, so they only work before the interface is moved
 * to another namespace; later, wg-quick sets the MTU with ip(8) anyway.
 */
#include "tun.h"

#include "log.h"
#include "offload.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int tun_attach(const char *ifname, short flags)
{
	struct ifreq ifr = { 0 };
	int fd, err;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	ifr.ifr_flags = flags;
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* TSO first (needs only checksum offload), then USO on top (Linux 6.2+). */
static void negotiate_offloads(int fd, struct tun_offloads *got)
{
	unsigned tcp = OFFLOAD_TUN_F_TCP, uso = OFFLOAD_TUN_F_USO;

	if (ioctl(fd, TUNSETOFFLOAD, tcp) < 0) {
		log_error("TUN segmentation offload unavailable (%s): "
			  "one packet per read", strerror(errno));
		return;
	}
	got->tso = true;
	if (ioctl(fd, TUNSETOFFLOAD, tcp | uso) < 0) {
		log_verbose("TUN UDP segmentation offload unavailable (%s)",
			    strerror(errno));
		ioctl(fd, TUNSETOFFLOAD, tcp);
		return;
	}
	got->uso = true;
}

int tun_create(const char *ifname, bool want_offloads,
	       struct tun_offloads *got)
{
	int fd;

	memset(got, 0, sizeof(*got));
	if (strlen(ifname) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	if (want_offloads) {
		fd = tun_attach(ifname, IFF_TUN | IFF_NO_PI | IFF_VNET_HDR);
		if (fd >= 0) {
			got->vnet_hdr = true;
			negotiate_offloads(fd, got);
			return fd;
		}
		log_error("TUN with virtio headers unavailable (%s): no "
			  "offloads", strerror(-fd));
	}
	return tun_attach(ifname, IFF_TUN | IFF_NO_PI);
}

int tun_adopt(int fd, char *ifname_out, unsigned len,
	      struct tun_offloads *got)
{
	struct ifreq ifr = { 0 };
	int fl;

	memset(got, 0, sizeof(*got));
	if (ioctl(fd, TUNGETIFF, &ifr) < 0)
		return -errno;
	snprintf(ifname_out, len, "%s", ifr.ifr_name);
	if (ifr.ifr_flags & IFF_VNET_HDR) {
		/* We cannot ask what was negotiated; the parent that opened
		 * it with virtio headers is assumed to have enabled TSO. */
		got->vnet_hdr = true;
		got->tso = true;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

static int ifreq_ioctl(const char *ifname, unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (s < 0)
		return -errno;
	snprintf(ifr->ifr_name, IFNAMSIZ, "%s", ifname);
	if (ioctl(s, req, ifr) < 0)
		ret = -errno;
	close(s);
	return ret;
}

/*
 * The kernel applies a TUN's carrier change through linkwatch, which
 * handles a TUN's events (not "urgent" to it) at most once a second
 * machine-wide: the routes through the link are marked linkdown up to
 * 1 s after TUNSETCARRIER (the ha lab measured 0.7-1 s). ETHTOOL_GLINK
 * asks for the link state, and the kernel (5.16 and later) first
 * applies the device's pending linkwatch event, at once. Best effort:
 * on an older kernel the change still lands within the second.
 */
static void sync_link_state(const char *ifname)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_GLINK };
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&ev;
	(void)ioctl(s, SIOCETHTOOL, &ifr);
	close(s);
}

int tun_set_carrier(int fd, bool on)
{
	struct ifreq ifr;
	int carrier = on;

	/* Only an attached TUN answers TUNGETIFF: the helper gets fds from
	 * the unprivileged daemon and must not ioctl anything else. */
	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr) < 0)
		return -EINVAL;
	if (ioctl(fd, TUNSETCARRIER, &carrier) < 0)
		return -errno;
	sync_link_state(ifr.ifr_name);
	return 0;
}

int tun_set_mtu(const char *ifname, int mtu)
{
	struct ifreq ifr = { .ifr_mtu = mtu };

	return ifreq_ioctl(ifname, SIOCSIFMTU, &ifr);
}

int tun_get_mtu(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int ret = ifreq_ioctl(ifname, SIOCGIFMTU, &ifr);

	return ret < 0 ? ret : ifr.ifr_mtu;
}

bool tun_error_is_fatal(int err)
{
	/* EBADFD: the tun was detached (interface deleted). */
	return err == EBADFD || err == EBADF || err == ENODEV;
}

ssize_t tun_read(int fd, void *buf, size_t cap)
{
	ssize_t r = read(fd, buf, cap);

	return r < 0 ? -errno : r;
}

int tun_write(int fd, const void *buf, size_t len)
{
	return write(fd, buf, len) < 0 ? -errno : 0;
}
