// SPDX-License-Identifier: MIT
/*
 * The root helper (see privhelper.h): the privileged half of a daemon run
 * with -u USER. One request, one reply, both fixed-size SOCK_SEQPACKET
 * messages; sockets travel as SCM_RIGHTS. The helper trusts nothing it
 * receives: unknown operations, wrong sizes, truncated or surplus
 * descriptors and descriptors that are not UDP sockets are refused with
 * -EINVAL, and every descriptor it received or made is closed once the
 * reply is sent.
 */
#include "privhelper.h"

#include <errno.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "log.h"
#include "tun.h"
#include "udp.h"

#define HELPER_MAX_FDS 2
/* A helper that does not answer within this is gone or stuck. */
#define HELPER_TIMEOUT_SEC 5

enum helper_op {
	HELPER_OPEN_UDP = 1,    /* port, fwmark -> err, port, fds */
	HELPER_SET_FWMARK = 2,  /* fwmark, fds -> err */
	HELPER_SET_CARRIER = 3, /* port: 1 on / 0 off, the TUN fd -> err */
};

struct helper_request {
	uint32_t op;
	uint32_t fwmark;
	uint16_t port;
	uint16_t zero; /* no uninitialised padding on the wire */
};

/* has_fd4/has_fd6 say which of the passed fds is which, in that order. */
struct helper_reply {
	int32_t err;
	uint16_t port;
	uint8_t has_fd4, has_fd6;
};

/* ---- descriptors over the channel -------------------------------------- */

static int send_with_fds(int chan, const void *msg, size_t len,
			 const int *fds, unsigned nfds)
{
	union {
		char buf[CMSG_SPACE(HELPER_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (nfds) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	if (sendmsg(chan, &mh, MSG_NOSIGNAL) != (ssize_t)len)
		return errno ? -errno : -EIO;
	return 0;
}

/* Receives one message of exactly len bytes and up to HELPER_MAX_FDS
 * descriptors (made close-on-exec). Returns 0, -ENOTCONN when the other
 * end closed, or -errno / -EBADMSG (then no descriptor is left open). */
static int recv_with_fds(int chan, void *msg, size_t len, int *fds,
			 unsigned *nfds)
{
	union {
		char buf[CMSG_SPACE(HELPER_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c;
	ssize_t n;

	*nfds = 0;
	do
		n = recvmsg(chan, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ENOTCONN;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (*nfds < HELPER_MAX_FDS)
				fds[(*nfds)++] = fd;
			else
				close(fd);
		}
	}
	if ((size_t)n != len || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		while (*nfds)
			close(fds[--*nfds]);
		return -EBADMSG;
	}
	return 0;
}

static void close_fds(int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* ---- the helper -------------------------------------------------------- */

static bool is_udp_socket(int fd)
{
	int type = 0, proto = 0;
	socklen_t len = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return false;
	len = sizeof(proto);
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) < 0)
		return false;
	return type == SOCK_DGRAM && proto == IPPROTO_UDP;
}

static int serve_open_udp(int chan, const struct helper_request *rq)
{
	struct helper_reply rp = { 0 };
	int fd4 = -1, fd6 = -1, fds[2], n = 0, ret;

	rp.err = udp_open(rq->port, rq->fwmark, &fd4, &fd6, &rp.port);
	if (fd4 >= 0 && !rp.err) {
		fds[n++] = fd4;
		rp.has_fd4 = 1;
	}
	if (fd6 >= 0 && !rp.err) {
		fds[n++] = fd6;
		rp.has_fd6 = 1;
	}
	ret = send_with_fds(chan, &rp, sizeof(rp), fds, (unsigned)n);
	if (!rp.err) {
		if (fd4 >= 0)
			close(fd4);
		if (fd6 >= 0)
			close(fd6);
	}
	return ret;
}

static int serve_set_fwmark(int chan, const struct helper_request *rq,
			    int *fds, unsigned nfds)
{
	struct helper_reply rp = { 0 };

	for (unsigned i = 0; i < nfds && !rp.err; i++)
		rp.err = is_udp_socket(fds[i]) ?
				 udp_set_fwmark(fds[i], rq->fwmark) :
				 -EINVAL;
	return send_with_fds(chan, &rp, sizeof(rp), NULL, 0);
}

/* One TUN fd (tun_set_carrier refuses anything else) and 0 or 1. */
static int serve_set_carrier(int chan, const struct helper_request *rq,
			     int *fds, unsigned nfds)
{
	struct helper_reply rp = { .err = -EINVAL };

	if (nfds == 1 && rq->port <= 1)
		rp.err = tun_set_carrier(fds[0], rq->port == 1);
	return send_with_fds(chan, &rp, sizeof(rp), NULL, 0);
}

static int serve_one(int chan)
{
	struct helper_request rq;
	struct helper_reply refused = { .err = -EINVAL };
	int fds[HELPER_MAX_FDS], ret;
	unsigned nfds;

	ret = recv_with_fds(chan, &rq, sizeof(rq), fds, &nfds);
	if (ret == -ENOTCONN)
		return ret;
	if (ret == 0 && rq.op == HELPER_OPEN_UDP && !nfds)
		ret = serve_open_udp(chan, &rq);
	else if (ret == 0 && rq.op == HELPER_SET_FWMARK)
		ret = serve_set_fwmark(chan, &rq, fds, nfds);
	else if (ret == 0 && rq.op == HELPER_SET_CARRIER)
		ret = serve_set_carrier(chan, &rq, fds, nfds);
	else
		ret = send_with_fds(chan, &refused, sizeof(refused), NULL, 0);
	close_fds(fds, nfds);
	return ret;
}

/* Only what the requests need: bind low ports, force buffers, SO_MARK. */
static void helper_limit(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { { 0 } };

	data[0].effective = data[0].permitted =
		(1u << CAP_NET_ADMIN) | (1u << CAP_NET_BIND_SERVICE);
	syscall(SYS_capset, &hdr, data);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	prctl(PR_SET_NAME, "lanwired-root");
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
}

static void helper_main(int chan, const char *path, const struct stat *made)
{
	struct stat now;

	/* Nothing of the daemon's but the channel (and stdio for logs). */
	if (chan > 3)
		close_range(3, (unsigned)chan - 1, 0);
	close_range((unsigned)chan + 1, ~0U, 0);
	helper_limit();
	while (serve_one(chan) != -ENOTCONN)
		;
	if (path && stat(path, &now) == 0 && now.st_ino == made->st_ino &&
	    now.st_dev == made->st_dev)
		unlink(path);
	_exit(0);
}

int privhelper_start(const char *uapi_path)
{
	struct timeval tv = { .tv_sec = HELPER_TIMEOUT_SEC };
	struct stat made = { 0 };
	int sv[2];
	pid_t pid;

	if (uapi_path && stat(uapi_path, &made) < 0)
		uapi_path = NULL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -errno;
	}
	if (pid == 0) {
		close(sv[0]);
		helper_main(sv[1], uapi_path, &made);
	}
	close(sv[1]);
	setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return sv[0];
}

/* ---- the daemon's side ------------------------------------------------- */

static int request(int chan, const struct helper_request *rq, const int *fds,
		   unsigned nfds, struct helper_reply *rp, int *rfds,
		   unsigned *nrfds)
{
	int ret = send_with_fds(chan, rq, sizeof(*rq), fds, nfds);

	if (ret)
		return ret;
	ret = recv_with_fds(chan, rp, sizeof(*rp), rfds, nrfds);
	return ret == -ENOTCONN ? -EPIPE : ret;
}

int privhelper_udp_open(int chan, uint16_t port, uint32_t fwmark, int *fd4,
			int *fd6, uint16_t *bound_port)
{
	struct helper_request rq = { .op = HELPER_OPEN_UDP, .port = port,
				     .fwmark = fwmark };
	struct helper_reply rp;
	int fds[HELPER_MAX_FDS];
	unsigned n;
	int ret = request(chan, &rq, NULL, 0, &rp, fds, &n);

	if (ret)
		return ret;
	if (rp.err || n != (unsigned)rp.has_fd4 + rp.has_fd6 || !n) {
		close_fds(fds, n);
		return rp.err ? rp.err : -EBADMSG;
	}
	*fd4 = rp.has_fd4 ? fds[0] : -1;
	*fd6 = rp.has_fd6 ? fds[n - 1] : -1;
	*bound_port = rp.port;
	return 0;
}

int privhelper_set_fwmark(int chan, int fd4, int fd6, uint32_t fwmark)
{
	struct helper_request rq = { .op = HELPER_SET_FWMARK,
				     .fwmark = fwmark };
	struct helper_reply rp;
	int fds[HELPER_MAX_FDS], rfds[HELPER_MAX_FDS];
	unsigned n = 0, nr;
	int ret;

	if (fd4 >= 0)
		fds[n++] = fd4;
	if (fd6 >= 0)
		fds[n++] = fd6;
	ret = request(chan, &rq, fds, n, &rp, rfds, &nr);
	if (ret)
		return ret;
	close_fds(rfds, nr);
	return rp.err;
}

int privhelper_tun_set_carrier(int chan, int tun_fd, bool on)
{
	struct helper_request rq = { .op = HELPER_SET_CARRIER,
				     .port = on ? 1 : 0 };
	struct helper_reply rp;
	int rfds[HELPER_MAX_FDS];
	unsigned nr;
	int ret = request(chan, &rq, &tun_fd, 1, &rp, rfds, &nr);

	if (ret)
		return ret;
	close_fds(rfds, nr);
	return rp.err;
}
