// SPDX-License-Identifier: MIT
/*
 * lanwired: start-up and shut-down. Mirrors wireguard-go's invocation:
 * `lanwired [-f|--foreground] IFACE` creates the TUN device and the UAPI
 * socket, then daemonises unless told to stay in the foreground
 * (WG_PROCESS_FOREGROUND=1). WG_TUN_FD and WG_UAPI_FD hand over descriptors
 * made by a parent. fatal errors are only possible here, at start-up.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "device.h"
#include "log.h"
#include "privdrop.h"
#include "tun.h"
#include "uapi.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: lanwired [-f/--foreground] [-u/--user USER] "
		   "INTERFACE-NAME\n"
		   "       lanwired --version | --help\n\n"
		   "A userspace WireGuard daemon, driven by wg(8) and "
		   "wg-quick(8) like wireguard-go.\n"
		   "Environment: WG_PROCESS_FOREGROUND=1, LOG_LEVEL="
		   "silent|error|verbose,\n"
		   "             WG_TUN_FD, WG_UAPI_FD, LANWIRE_OFFLOAD=0 "
		   "(no TUN/UDP offloads),\n"
		   "             LANWIRE_USER=NAME (as -u/--user NAME: run as "
		   "NAME after start-up).\n");
}

static bool ifname_is_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= IFNAMSIZ || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (name[i] == '/' || name[i] == ':' || name[i] <= ' ' ||
		    name[i] == 0x7f)
			return false;
	return true;
}

/* A descriptor number from the environment, or -1 if unset; -2 if bad. */
static int env_fd(const char *var)
{
	const char *v = getenv(var);
	char *end;
	long fd;

	if (!v)
		return -1;
	errno = 0;
	fd = strtol(v, &end, 10);
	if (errno || *end || end == v || fd < 0 || fd > 65535 ||
	    fcntl((int)fd, F_GETFD) < 0)
		return -2;
	return (int)fd;
}

/* Nothing inherited stays open but stdio and what WG_TUN_FD / WG_UAPI_FD
 * hand over (checked again, and refused if bad, when they are used). */
static void close_inherited(void)
{
	int keep[2] = { env_fd("WG_TUN_FD"), env_fd("WG_UAPI_FD") };

	privdrop_close_inherited(keep, 2);
}

/* LANWIRE_OFFLOAD=0 turns TUN and UDP offloads off (plain syscalls, one
 * packet each), for comparison and for kernels that misbehave. */
static bool offloads_wanted(void)
{
	const char *v = getenv("LANWIRE_OFFLOAD");

	return !v || strcmp(v, "0");
}

static void on_signal(int sig)
{
	device_stop_requested = 1;
}

static void setup_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, NULL);
}

static int open_tun(struct device *dev)
{
	int fd = env_fd("WG_TUN_FD");

	if (fd == -2) {
		log_error("WG_TUN_FD is not an open file descriptor");
		return -EBADF;
	}
	if (fd >= 0)
		return tun_adopt(fd, dev->ifname, sizeof(dev->ifname),
				 &dev->tun_offloads);
	fd = tun_create(dev->ifname, dev->want_offloads, &dev->tun_offloads);
	if (fd >= 0 && tun_set_mtu(dev->ifname, DEFAULT_MTU) < 0)
		log_error("cannot set MTU %d", DEFAULT_MTU);
	return fd;
}

static int open_uapi(struct device *dev, bool *created)
{
	int fd = env_fd("WG_UAPI_FD");

	*created = false;
	if (fd == -2) {
		log_error("WG_UAPI_FD is not an open file descriptor");
		return -EBADF;
	}
	if (fd >= 0) {
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		return fd;
	}
	fd = uapi_listen(dev->ifname);
	*created = fd >= 0;
	return fd;
}

/* Parent exits once the child runs; the child leaves the terminal. */
static int daemonize(void)
{
	pid_t pid = fork();
	int null;

	if (pid < 0)
		return -errno;
	if (pid > 0)
		_exit(0);
	setsid();
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		if (log_level < LOG_VERBOSE)
			dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	return 0;
}

struct options {
	bool foreground;
	const char *ifname;
	const char *user; /* drop to this user after start-up, or NULL */
};

static int parse_args(int argc, char **argv, struct options *o)
{
	const char *fg = getenv("WG_PROCESS_FOREGROUND");

	o->foreground = fg && !strcmp(fg, "1");
	o->ifname = NULL;
	o->user = getenv("LANWIRE_USER");
	if (o->user && !*o->user)
		o->user = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--foreground")) {
			o->foreground = true;
		} else if (!strcmp(argv[i], "-u") || !strcmp(argv[i], "--user")) {
			if (++i == argc)
				return -EINVAL;
			o->user = argv[i];
		} else if (!strcmp(argv[i], "--version")) {
			printf("lanwired %s (userspace WireGuard)\n",
			       LW_VERSION);
			exit(0);
		} else if (!strcmp(argv[i], "--help") ||
			   !strcmp(argv[i], "-h")) {
			usage(stdout);
			exit(0);
		} else if (argv[i][0] == '-' || o->ifname) {
			return -EINVAL;
		} else {
			o->ifname = argv[i];
		}
	}
	return o->ifname ? 0 : -EINVAL;
}

int main(int argc, char **argv)
{
	static struct device dev;
	struct options opt;
	const char *ifname;
	bool uapi_created = false;
	unsigned nthreads;
	char sock[sizeof(UAPI_DIR) + IFNAMSIZ + 8];
	int ret;

	if (parse_args(argc, argv, &opt) < 0) {
		usage(stderr);
		return 2;
	}
	ifname = opt.ifname;
	if (!ifname_is_valid(ifname)) {
		fprintf(stderr, "lanwired: invalid interface name '%s'\n",
			ifname);
		return 2;
	}
	close_inherited();
	log_init_from_env(ifname);
	if (crypto_init() < 0 || device_init(&dev, ifname) < 0) {
		log_error("cannot initialise");
		return 1;
	}
	dev.want_offloads = offloads_wanted();
	dev.tun_fd = open_tun(&dev);
	if (dev.tun_fd < 0) {
		log_error("cannot create TUN device %s: %s", ifname,
			  strerror(-dev.tun_fd));
		return 1;
	}
	dev.uapi_fd = open_uapi(&dev, &uapi_created);
	if (dev.uapi_fd < 0) {
		log_error("cannot listen on UAPI socket: %s",
			  strerror(-dev.uapi_fd));
		return 1;
	}
	ret = device_set_listen_port(&dev, 0);
	if (ret < 0) {
		log_error("cannot open UDP sockets: %s", strerror(-ret));
		goto out;
	}
	setup_signals();
	if (!opt.foreground && (ret = daemonize()) < 0) {
		log_error("cannot daemonise: %s", strerror(-ret));
		goto out;
	}
	snprintf(sock, sizeof(sock), "%s/%s" UAPI_SOCK_SUFFIX, UAPI_DIR,
		 dev.ifname);
	if (opt.user && (ret = privdrop_to_user(opt.user,
						uapi_created ? sock : NULL)) < 0) {
		log_error("cannot drop privileges to user %s: %s", opt.user,
			  ret == -ENOENT ? "no such user" : strerror(-ret));
		goto out;
	}
	/* Threads only now: after fork (they would not survive it) and after
	 * the privilege drop (capabilities are per thread). Without them the
	 * loop does the crypto itself. */
	nthreads = workers_threads_wanted();
	ret = workers_start(&dev.workers, nthreads);
	if (ret < 0)
		log_error("cannot start crypto threads (%s): encrypting on "
			  "one thread", strerror(-ret));
	log_verbose("device started (lanwired %s, %u crypto thread%s)",
		    LW_VERSION, dev.workers.nthreads + 1,
		    dev.workers.nthreads ? "s" : "");
	ret = device_run(&dev);
	log_verbose("device shutting down");
out:
	if (uapi_created)
		uapi_unlink(dev.ifname);
	close(dev.uapi_fd);
	device_close(&dev);
	return ret < 0 ? 1 : 0;
}
