// SPDX-License-Identifier: MIT
/*
 * The event loop that serves a device, and the system side of its ops:
 * one epoll over the TUN, the two UDP sockets and the UAPI listener; the
 * epoll timeout is the earliest armed peer timer, and timers are ticked
 * when it passes (boringtun's stored timestamps, wg-dynamic's timeout).
 * The real clocks and UDP system calls are device_ops_system.
 */
#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <sys/epoll.h>
#include <time.h>

#include "device.h"
#include "log.h"
#include "peer.h"
#include "privdrop.h"
#include "uapi_server.h"

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t real_now(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static uint64_t real_wall_now(void)
{
	return clock_ns(CLOCK_REALTIME);
}

const struct device_ops device_ops_system = {
	.now = real_now,
	.wall_now = real_wall_now,
	.random = crypto_random,
	.udp = &udp_io_system,
	.udp_open = privdrop_udp_open,
	.udp_set_fwmark = privdrop_udp_set_fwmark,
	.tun_set_carrier = privdrop_tun_set_carrier,
};

void loop_watch(struct device *dev, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (dev->epoll_fd >= 0 && fd >= 0)
		epoll_ctl(dev->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

void device_tick_timers(struct device *dev)
{
	uint64_t now = device_now(dev), next = 0;
	struct peer *p, *n;

	dev->next_timer_ns = 0;
	for (p = dev->peers_first; p; p = n) {
		uint64_t d;

		n = p->list_next;
		d = timers_tick(&p->timers, now);
		if (d && (!next || d < next))
			next = d;
	}
	/* UAPI request deadlines share the loop's timer. */
	{
		uint64_t d = uapi_server_expire(dev->uapi_server, now);

		if (d && (!next || d < next))
			next = d;
	}
	/* Actions above may have armed timers through device_timer_armed. */
	if (next && (!dev->next_timer_ns || next < dev->next_timer_ns))
		dev->next_timer_ns = next;
}

static int epoll_timeout_ms(struct device *dev)
{
	uint64_t now = device_now(dev);

	if (!dev->next_timer_ns)
		return -1;
	if (dev->next_timer_ns <= now)
		return 0;
	/* Round up so we never wake just before the deadline. */
	return (int)((dev->next_timer_ns - now + 999999) / 1000000);
}

static void handle_event(struct device *dev, struct epoll_event *ev)
{
	int fd = ev->data.fd;

	if (fd == dev->tun_fd) {
		if (ev->events & (EPOLLERR | EPOLLHUP)) {
			log_verbose("TUN device went away; shutting down");
			dev->should_exit = true;
			return;
		}
		send_packets_from_tun(dev);
	} else if (fd == dev->udp4_fd || fd == dev->udp6_fd) {
		receive_packets_from_udp(dev, fd);
	} else if (fd == dev->uapi_fd) {
		uapi_server_accept(dev->uapi_server, dev, device_now(dev));
	} else {
		uapi_server_handle(dev->uapi_server, dev, fd, ev->events,
				   device_now(dev));
	}
}

volatile sig_atomic_t device_stop_requested;

int device_run(struct device *dev)
{
	struct epoll_event evs[16];
	sigset_t wait_mask;
	int ret = 0;

	/* main() blocks SIGINT/SIGTERM; they are let in only while we sleep
	 * in epoll_pwait, so a stop request is never missed between the
	 * check and the wait. */
	sigprocmask(SIG_SETMASK, NULL, &wait_mask);
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGTERM);

	dev->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (dev->epoll_fd < 0)
		return -errno;
	loop_watch(dev, dev->tun_fd);
	loop_watch(dev, dev->udp4_fd);
	loop_watch(dev, dev->udp6_fd);
	if (dev->uapi_fd >= 0 &&
	    !(dev->uapi_server = uapi_server_new(dev->uapi_fd, dev->epoll_fd)))
		return -ENOMEM;
	device_set_state(dev, DEVICE_UP);
	while (dev->state == DEVICE_UP) {
		int n = epoll_pwait(dev->epoll_fd, evs, 16,
				    epoll_timeout_ms(dev), &wait_mask);

		if (n < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		for (int i = 0; i < n && !dev->should_exit; i++)
			handle_event(dev, &evs[i]);
		if (dev->next_timer_ns && dev->next_timer_ns <= device_now(dev))
			device_tick_timers(dev);
		if (dev->should_exit || device_stop_requested)
			device_set_state(dev, DEVICE_DOWN);
	}
	device_set_state(dev, DEVICE_DOWN);
	return ret;
}
