// SPDX-License-Identifier: MIT
/*
 * TUN device handling. MTU changes go through an ioctl on a socket in the
 * daemon's own namespace, so they only work before the interface is moved
 * to another namespace; later, wg-quick sets the MTU with ip(8) anyway.
 */
#include "tun.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int tun_create(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int fd, err;

	if (strlen(ifname) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int tun_adopt(int fd, char *ifname_out, unsigned len)
{
	struct ifreq ifr = { 0 };
	int fl;

	if (ioctl(fd, TUNGETIFF, &ifr) < 0)
		return -errno;
	snprintf(ifname_out, len, "%s", ifr.ifr_name);
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
