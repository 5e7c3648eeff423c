// SPDX-License-Identifier: MIT
/*
 * The lab's probes (lab.h). Each destination runs a tiny TCP service in
 * its namespace that answers every connection with the address it came
 * from, so a probe learns both whether it got through and what source
 * the far end saw (not NATed on seed 000's routed path; the gateway's LAN
 * address behind a masquerading gateway). Probes run in parallel, one
 * child per pair that enters the source namespace with setns(), connects
 * with a timeout and reports over a pipe. Also: the route an on-site
 * laptop takes (ip route get), and one iperf3 run.
 */
#include "lab.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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

#include "proc.h"
#include "desc.h"

struct probe_result {
	int ok;
	double rtt_ms;
	char seen[LW_PREFIX_STRLEN];
	char error[48];
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- the service ---- */

static void serve(int fd)
{
	struct sockaddr_in sin;
	socklen_t len;
	char line[64];
	int c;

	for (;;) {
		len = sizeof(sin);
		c = accept(fd, (struct sockaddr *)&sin, &len);
		if (c < 0)
			continue;
		inet_ntop(AF_INET, &sin.sin_addr, line, sizeof(line));
		strcat(line, "\n");
		if (write(c, line, strlen(line)) < 0)
			perror("lab: probe service");
		close(c);
	}
}

static int service_socket(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(LAB_PROBE_PORT) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(fd, 64)) {
		close(fd);
		return -1;
	}
	return fd;
}

int lab_listen(struct lab *l, struct lab_host *h)
{
	int ready[2], fd;
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
		if (proc_enter_netns(h->ns) || (fd = service_socket()) < 0)
			_exit(1);
		c = 1;
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		close(ready[1]);
		serve(fd);
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

static int connect_timeout(const char *addr, double *rtt,
			   struct probe_result *res)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(LAB_PROBE_PORT) };
	struct pollfd pfd = { .events = POLLOUT };
	int fd, err = 0;
	socklen_t len = sizeof(err);
	double t0;

	inet_pton(AF_INET, addr, &sin.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	t0 = now_ms();
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) &&
	    errno != EINPROGRESS)
		err = errno;
	pfd.fd = fd;
	if (!err && poll(&pfd, 1, LAB_PROBE_TIMEOUT_MS) <= 0)
		err = ETIMEDOUT;
	if (!err)
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	*rtt = now_ms() - t0;
	if (err) {
		snprintf(res->error, sizeof(res->error), "%s",
			 err == ETIMEDOUT     ? "timed out" :
			 err == ENETUNREACH   ? "no route" :
			 err == EHOSTUNREACH  ? "unreachable" :
			 err == ECONNREFUSED  ? "refused" :
						strerror(err));
		close(fd);
		return -1;
	}
	return fd;
}

static void probe_child(const struct lab_host *from, const struct lab_host *to,
			struct probe_result *res)
{
	struct pollfd pfd = { .events = POLLIN };
	char line[LW_PREFIX_STRLEN] = "";
	ssize_t n;

	memset(res, 0, sizeof(*res));
	if (proc_enter_netns(from->ns)) {
		snprintf(res->error, sizeof(res->error), "no namespace");
		return;
	}
	pfd.fd = connect_timeout(to->addr, &res->rtt_ms, res);
	if (pfd.fd < 0)
		return;
	if (poll(&pfd, 1, LAB_PROBE_TIMEOUT_MS) <= 0 ||
	    (n = read(pfd.fd, line, sizeof(line) - 1)) <= 0) {
		snprintf(res->error, sizeof(res->error), "no answer");
		close(pfd.fd);
		return;
	}
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
	snprintf(res->seen, sizeof(res->seen), "%s", line);
	res->ok = 1;
	close(pfd.fd);
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
		probe_child(&l->hosts[p->from], &l->hosts[p->to], &res);
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
	pid_t pids[LAB_MAX_PAIRS];
	int fds[LAB_MAX_PAIRS];
	size_t i;

	for (i = from; i < from + n; i++)
		pids[i] = probe_start(l, &l->pairs[i], &fds[i]);
	for (i = from; i < from + n; i++) {
		if (pids[i] > 0)
			probe_finish(&l->pairs[i], pids[i], fds[i]);
		else
			snprintf(l->pairs[i].error, sizeof(l->pairs[i].error),
				 "cannot fork");
	}
}

void lab_probe_all(struct lab *l)
{
	size_t i;

	probe_run(l, 0, l->n_pairs);
	/* An allowed pair that failed gets one more try on its own. */
	for (i = 0; i < l->n_pairs; i++) {
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

	for (i = 0; i < l->n_hosts; i++) {
		if (!strcmp(l->hosts[i].name, name))
			return &l->hosts[i];
	}
	return NULL;
}

/* The on-site laptop: its own LAN directly, other LANs through the
 * tunnel (seed 001's route conflict, solved by the summarised route). */
void lab_check_routes(struct lab *l)
{
	const struct lab_host *c = find_host(l, l->sc->onsite_client ?
							l->sc->onsite_client :
							"");
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
	const char *client[] = { "iperf3", "-c", to ? to->addr : "", "-p",
				 "5201", "-t", "3", "-J", NULL };
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
		struct timespec ts = { 0, 300 * 1000000L };

		nanosleep(&ts, NULL);
		free(out);
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
