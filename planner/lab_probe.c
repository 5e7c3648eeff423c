// SPDX-License-Identifier: MIT
/*
 * The lab's probes (lab.h). Each host runs a tiny service in its
 * namespace on every probed port: TCP on the wildcard address (both
 * families), UDP on each of its own addresses (so a reply leaves from the
 * address that was asked), each answering with the address the request
 * came from, so a probe learns both whether it got through and which
 * source the far end saw. ICMP is answered by the kernel (echo). Probes
 * run in parallel, one child per probe that enters the source namespace
 * with setns(), sends with a timeout and reports over a pipe; a spoofed
 * probe binds the spoofed address first. Also: the route an on-site
 * laptop takes (ip route get), and one iperf3 run.
 */
#include "lab.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "desc.h"
#include "proc.h"

#define PARALLEL 192
#define MAX_SOCKETS (LAB_MAX_QUESTIONS * (LAB_MAX_ADDRS + 1))

struct probe_result {
	int ok;
	double rtt_ms;
	char seen[LW_PREFIX_STRLEN];
	char error[32];
};

union sa {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	struct sockaddr_storage ss;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static socklen_t sa_make(union sa *u, const char *addr, uint16_t port)
{
	memset(u, 0, sizeof(*u));
	if (inet_pton(AF_INET, addr, &u->in.sin_addr) == 1) {
		u->in.sin_family = AF_INET;
		u->in.sin_port = htons(port);
		return sizeof(u->in);
	}
	u->in6.sin6_family = AF_INET6;
	u->in6.sin6_port = htons(port);
	inet_pton(AF_INET6, addr, &u->in6.sin6_addr);
	return sizeof(u->in6);
}

static void sa_text(const union sa *u, char *out, size_t size)
{
	if (u->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &u->in.sin_addr, out, (socklen_t)size);
	} else if (IN6_IS_ADDR_V4MAPPED(&u->in6.sin6_addr)) {
		inet_ntop(AF_INET, &u->in6.sin6_addr.s6_addr[12], out,
			  (socklen_t)size);
	} else {
		inet_ntop(AF_INET6, &u->in6.sin6_addr, out, (socklen_t)size);
	}
}

/* ---- the service ---- */

static int bound_socket(int type, const char *addr, uint16_t port)
{
	union sa u;
	socklen_t len = sa_make(&u, addr ? addr : "::", port);
	int fd = socket(u.sa.sa_family, type, 0), one = 1, zero = 0;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_IP, IP_FREEBIND, &one, sizeof(one));
	if (u.sa.sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, &u.sa, len) || (type == SOCK_STREAM && listen(fd, 128))) {
		close(fd);
		return -1;
	}
	return fd;
}

static void answer(struct pollfd *p, bool stream)
{
	union sa u;
	socklen_t len = sizeof(u);
	char line[LW_PREFIX_STRLEN + 2], buf[64];
	int c;

	if (stream) {
		c = accept(p->fd, &u.sa, &len);
		if (c < 0)
			return;
		sa_text(&u, line, sizeof(line) - 1);
		strcat(line, "\n");
		if (write(c, line, strlen(line)) < 0)
			perror("lab: probe service");
		close(c);
		return;
	}
	if (recvfrom(p->fd, buf, sizeof(buf), 0, &u.sa, &len) < 0)
		return;
	sa_text(&u, line, sizeof(line) - 1);
	strcat(line, "\n");
	if (sendto(p->fd, line, strlen(line), 0, &u.sa, len) < 0)
		perror("lab: probe service");
}

static void serve(struct pollfd *p, const bool *stream, size_t n)
{
	size_t i;

	for (;;) {
		if (poll(p, n, -1) < 0)
			continue;
		for (i = 0; i < n; i++) {
			if (p[i].revents & POLLIN)
				answer(&p[i], stream[i]);
		}
	}
}

/* The service's sockets: 0, or -1 if one could not be bound. */
static int service_sockets(const struct lab *l, const struct lab_host *h,
			   struct pollfd *p, bool *stream, size_t *n)
{
	size_t q, k;

	for (q = 0; q < l->n_q; q++) {
		if (l->q[q].proto == LW_PROTO_TCP) {
			stream[*n] = true;
			p[*n].events = POLLIN;
			p[(*n)++].fd = bound_socket(SOCK_STREAM, NULL,
						    l->q[q].port);
			if (p[*n - 1].fd < 0)
				return -1;
			continue;
		}
		if (l->q[q].proto != LW_PROTO_UDP)
			continue;
		for (k = 0; k < h->n_addrs && *n < MAX_SOCKETS; k++) {
			stream[*n] = false;
			p[*n].events = POLLIN;
			p[(*n)++].fd = bound_socket(SOCK_DGRAM,
						    h->addrs[k].text,
						    l->q[q].port);
			if (p[*n - 1].fd < 0)
				return -1;
		}
	}
	return 0;
}

int lab_listen(struct lab *l, struct lab_host *h)
{
	struct pollfd p[MAX_SOCKETS];
	bool stream[MAX_SOCKETS];
	int ready[2];
	size_t n = 0;
	char c = 0;
	pid_t pid;

	if (pipe(ready))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(ready[0]);
		if (proc_enter_netns(h->ns) ||
		    service_sockets(l, h, p, stream, &n))
			_exit(1);
		c = 1;
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		close(ready[1]);
		serve(p, stream, n);
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1)
		c = 0;
	close(ready[0]);
	h->listener = pid;
	if (!c)
		fprintf(l->log, "[!] no probe service in %s\n", h->ns);
	return c ? 0 : -1;
}

/* ---- one probe ---- */

static void set_error(struct probe_result *res, int err)
{
	snprintf(res->error, sizeof(res->error), "%s",
		 err == ETIMEDOUT    ? "timed out" :
		 err == ENETUNREACH  ? "no route" :
		 err == EHOSTUNREACH ? "unreachable" :
		 err == ECONNREFUSED ? "refused" :
		 err == EACCES	     ? "prohibited" :
		 err == EPERM	     ? "prohibited" :
				       strerror(err));
}

static int open_socket(const struct lab_pair *p, const char *bind_to,
		       union sa *dst, socklen_t *dlen, const char *to)
{
	int type = p->proto == LW_PROTO_TCP ? SOCK_STREAM : SOCK_DGRAM;
	int proto = 0, fd, one = 1;
	union sa src;
	socklen_t slen;

	*dlen = sa_make(dst, to, p->port);
	if (p->proto == LW_PROTO_ICMP)
		proto = dst->sa.sa_family == AF_INET ? IPPROTO_ICMP :
						       IPPROTO_ICMPV6;
	fd = socket(dst->sa.sa_family, type | SOCK_NONBLOCK, proto);
	if (fd < 0 || !bind_to)
		return fd;
	slen = sa_make(&src, bind_to, 0);
	setsockopt(fd, SOL_IP, IP_FREEBIND, &one, sizeof(one));
	if (bind(fd, &src.sa, slen)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Waits for fd to become readable (or writable); 0 or an errno. */
static int wait_fd(int fd, short events, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int r = poll(&pfd, 1, ms), err = 0;
	socklen_t len = sizeof(err);

	if (r <= 0)
		return ETIMEDOUT;
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	return err;
}

static void probe_child(const struct lab_pair *p, const struct lab_host *from,
			const char *to, struct probe_result *res)
{
	static const uint8_t echo4[8] = { 8, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t echo6[8] = { 128, 0, 0, 0, 0, 0, 0, 1 };
	union sa dst;
	socklen_t dlen;
	char line[LW_PREFIX_STRLEN + 2] = "";
	ssize_t n;
	int fd, err = 0;
	double t0;

	memset(res, 0, sizeof(*res));
	if (proc_enter_netns(from->ns)) {
		snprintf(res->error, sizeof(res->error), "no namespace");
		return;
	}
	fd = open_socket(p, p->tamper == LAB_TAMPER_SPOOFED ? p->source : NULL,
			 &dst, &dlen, to);
	if (fd < 0) {
		set_error(res, errno);
		return;
	}
	t0 = now_ms();
	if (connect(fd, &dst.sa, dlen) && errno != EINPROGRESS)
		err = errno;
	if (!err && p->proto == LW_PROTO_TCP)
		err = wait_fd(fd, POLLOUT, LAB_PROBE_TIMEOUT_MS);
	if (!err && p->proto != LW_PROTO_TCP) {
		const void *msg = p->proto == LW_PROTO_UDP ? "probe\n" :
				  dst.sa.sa_family == AF_INET ? (const void *)echo4 :
							       (const void *)echo6;

		if (send(fd, msg, p->proto == LW_PROTO_UDP ? 6 : 8, 0) < 0)
			err = errno;
	}
	if (!err)
		err = wait_fd(fd, POLLIN, LAB_PROBE_TIMEOUT_MS);
	if (!err && (n = recv(fd, line, sizeof(line) - 1, 0)) <= 0)
		err = n < 0 ? errno : ECONNRESET;
	res->rtt_ms = now_ms() - t0;
	close(fd);
	if (err) {
		set_error(res, err);
		return;
	}
	if (p->proto != LW_PROTO_ICMP) {
		line[n] = '\0';
		line[strcspn(line, "\n")] = '\0';
		snprintf(res->seen, sizeof(res->seen), "%.*s",
			 (int)sizeof(res->seen) - 1, line);
	}
	res->ok = 1;
}

static pid_t probe_start(struct lab *l, struct lab_pair *p, int *rfd)
{
	struct probe_result res;
	int fds[2];
	pid_t pid;

	if (pipe(fds))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (!pid) {
		close(fds[0]);
		probe_child(p, &l->hosts[p->from],
			    l->hosts[p->to].addrs[p->to_addr].text, &res);
		if (write(fds[1], &res, sizeof(res)) != sizeof(res))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	*rfd = fds[0];
	return pid;
}

static void probe_finish(struct lab_pair *p, pid_t pid, int rfd)
{
	struct probe_result res;

	memset(&res, 0, sizeof(res));
	if (read(rfd, &res, sizeof(res)) != sizeof(res))
		snprintf(res.error, sizeof(res.error), "probe failed");
	close(rfd);
	waitpid(pid, NULL, 0);
	p->seen_ok = res.ok;
	p->rtt_ms = res.rtt_ms;
	snprintf(p->seen_source, sizeof(p->seen_source), "%s", res.seen);
	snprintf(p->error, sizeof(p->error), "%s", res.error);
	p->ok = p->seen_ok == p->expect;
}

static void probe_run(struct lab *l, size_t from, size_t n)
{
	pid_t pids[PARALLEL];
	int fds[PARALLEL];
	size_t i;

	for (i = 0; i < n; i++)
		pids[i] = probe_start(l, &l->pairs[from + i], &fds[i]);
	for (i = 0; i < n; i++) {
		if (pids[i] > 0)
			probe_finish(&l->pairs[from + i], pids[i], fds[i]);
		else
			snprintf(l->pairs[from + i].error,
				 sizeof(l->pairs[0].error), "cannot fork");
	}
}

void lab_probe_all(struct lab *l, size_t from)
{
	size_t i, n;

	for (i = from; i < l->n_pairs; i += n) {
		n = l->n_pairs - i < PARALLEL ? l->n_pairs - i : PARALLEL;
		probe_run(l, i, n);
	}
	/* An allowed probe that failed gets one more try on its own. */
	for (i = from; i < l->n_pairs; i++) {
		if (l->pairs[i].expect && !l->pairs[i].seen_ok)
			probe_run(l, i, 1);
	}
}

/* ---- routes ---- */

static void route_dev(struct lab *l, const char *ns, const char *dst,
		      char *dev, size_t size)
{
	const char *argv[] = { "ip", "route", "get", dst, NULL };
	struct lw_cmd c = { ns, NULL, NULL, LW_CMD_QUIET, NULL };
	char *out = NULL, *p;

	snprintf(dev, size, "?");
	if (proc_capture(&c, argv, &out) == 0 && (p = strstr(out, " dev ")))
		snprintf(dev, size, "%.*s", (int)strcspn(p + 5, " \n"),
			 p + 5);
	fprintf(l->log, "[#] %s: ip route get %s -> dev %s\n", ns, dst, dev);
	free(out);
}

static const struct lab_host *find_host(const struct lab *l,
					 const char *name)
{
	size_t i;

	for (i = 0; name && i < l->n_hosts; i++) {
		if (!strcmp(l->hosts[i].name, name))
			return &l->hosts[i];
	}
	return NULL;
}

/* The on-site laptop: its own LAN directly, other LANs through the
 * tunnel (seed 001's route conflict, solved by the summarised route). */
void lab_check_routes(struct lab *l)
{
	const struct lab_host *c = find_host(l, l->sc->onsite_client);
	const struct lab_device *dv;
	struct lab_route *r;
	ssize_t node;

	if (!c)
		return;
	node = desc_find_node(l->d, c->name);
	for (dv = l->sc->devices; dv->name && l->n_routes < 4; dv++) {
		r = &l->routes[l->n_routes++];
		snprintf(r->host, sizeof(r->host), "%s", c->name);
		snprintf(r->dst, sizeof(r->dst), "%s", dv->addr);
		snprintf(r->expect_dev, sizeof(r->expect_dev), "%s",
			 !strcmp(dv->site, l->sc->onsite_site) ?
				 "eth1" :
				 desc_node_iface(l->d, (size_t)node));
		route_dev(l, c->ns, dv->addr, r->dev, sizeof(r->dev));
		r->ok = !strcmp(r->dev, r->expect_dev);
	}
}

/* ---- throughput ---- */

static double iperf_bits(const char *json)
{
	const char *p = strstr(json, "\"sum_received\"");

	if (p)
		p = strstr(p, "\"bits_per_second\"");
	if (!p)
		return -1;
	p = strchr(p, ':');
	return p ? strtod(p + 1, NULL) : -1;
}

void lab_iperf(struct lab *l)
{
	const struct lab_host *from = find_host(l, l->sc->iperf_from);
	const struct lab_host *to = find_host(l, l->sc->iperf_to);
	const char *server[] = { "iperf3", "-s", "-1", "-p", "5201", NULL };
	const char *client[] = { "iperf3", "-c", to ? to->addrs[0].text : "",
				 "-p", "5201", "-t", "3", "-J", NULL };
	struct lw_cmd sc = { to ? to->ns : NULL, NULL, l->log, fileno(l->log),
			     NULL };
	struct lw_cmd cc = { from ? from->ns : NULL, NULL, l->log,
			     LW_CMD_QUIET, NULL };
	char *out = NULL;
	pid_t pid;
	int try;

	l->iperf_mbit = -1;
	if (!from || !to) {
		snprintf(l->iperf_error, sizeof(l->iperf_error), "no hosts");
		return;
	}
	pid = proc_spawn(&sc, server);
	for (try = 0; try < 5 && l->iperf_mbit < 0; try++) {
		lab_sleep_ms(300);
		free(out);
		out = NULL;
		proc_echo(&cc, client);
		if (proc_capture(&cc, client, &out) == 0)
			l->iperf_mbit = iperf_bits(out) / 1e6;
	}
	if (l->iperf_mbit < 0)
		snprintf(l->iperf_error, sizeof(l->iperf_error),
			 "iperf3 failed");
	free(out);
	proc_stop(pid, 1000);
}
