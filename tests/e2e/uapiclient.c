// SPDX-License-Identifier: MIT
/*
 * tests/e2e/uapiclient.c -- badly behaved UAPI clients for uapistall.sh,
 * compiled by the script with cc. Each mode connects to a daemon's UAPI
 * socket, misbehaves, and prints one line saying what the daemon did:
 *
 *	uapiclient SOCK stall SECS	half a line, then nothing
 *	uapiclient SOCK trickle SECS	a set request, one byte every 2 s
 *	uapiclient SOCK flood BYTES SECS	one set transaction of BYTES
 *	uapiclient SOCK many N SECS	N connections, each half a request
 *	uapiclient SOCK get		a well-behaved get=1, timed
 *
 * SECS bounds the wait for the daemon to close the connection(s); the line
 * says "closed after X s" or "still open after SECS s". flood also prints
 * how much the daemon took and the answer it gave. get prints the
 * milliseconds from connecting to the end of the answer (errno=0 and the
 * blank line), or fails.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	/* Neither connect (a daemon that does not accept) nor a write (one
	 * that does not read) may hang the test: 3 s each at most. */
	struct timeval tv = { .tv_sec = 3 };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		perror("connect");
		exit(2);
	}
	return fd;
}

/* Waits up to secs for fd to be closed by the daemon (EOF or error after
 * whatever it answered). 1 if it was. */
static int wait_closed(int fd, double deadline, char *answer, size_t cap)
{
	size_t have = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int ms = (int)((deadline - now_s()) * 1000);
		char b[4096];
		ssize_t n;

		if (ms <= 0 || poll(&p, 1, ms) <= 0)
			return 0;
		n = read(fd, b, sizeof(b));
		if (n <= 0)
			return 1;
		if (answer && have + (size_t)n < cap) {
			memcpy(answer + have, b, (size_t)n);
			have += (size_t)n;
			answer[have] = '\0';
		}
	}
}

static void report(const char *what, int closed, double t0, double secs)
{
	if (closed)
		printf("%s: closed after %.2f s\n", what, now_s() - t0);
	else
		printf("%s: still open after %.0f s\n", what, secs);
}

static int stall(const char *path, double secs)
{
	static const char half[] = "set=1\nlisten_po";
	double t0 = now_s();
	int fd = connect_to(path), closed;

	if (write(fd, half, sizeof(half) - 1) < 0)
		return 2;
	closed = wait_closed(fd, t0 + secs, NULL, 0);
	report("stall", closed, t0, secs);
	return !closed;
}

static int trickle(const char *path, double secs)
{
	static const char req[] = "set=1\nlisten_port=51999\n\n";
	double t0 = now_s();
	int fd = connect_to(path), closed = 0;
	size_t sent = 0;

	while (!closed && now_s() < t0 + secs) {
		if (sent < sizeof(req) - 1 &&
		    send(fd, req + sent, 1, MSG_NOSIGNAL) == 1)
			sent++;
		closed = wait_closed(fd, now_s() + 2, NULL, 0);
	}
	report("trickle", closed, t0, secs);
	printf("trickle: %zu bytes sent, one every 2 s\n", sent);
	return !closed;
}

static int flood(const char *path, double bytes, double secs)
{
	static const char head[] =
		"set=1\npublic_key="
		"b85996fecc9c7f1fc6d2572a76eda11d59bcd20be8e543b15ce4bd85a8e75a33"
		"\n";
	char chunk[65536], answer[256] = "";
	double t0 = now_s();
	int fd = connect_to(path), closed;
	size_t line_len, fill = 0;
	double sent = 0;

	line_len = strlen("allowed_ip=10.1.2.3/32\n");
	while (fill + line_len <= sizeof(chunk)) {
		memcpy(chunk + fill, "allowed_ip=10.1.2.3/32\n", line_len);
		fill += line_len;
	}
	if (send(fd, head, sizeof(head) - 1, MSG_NOSIGNAL) < 0)
		return 2;
	sent = sizeof(head) - 1;
	while (sent < bytes && now_s() < t0 + secs) {
		ssize_t w = send(fd, chunk, fill, MSG_NOSIGNAL);

		if (w < 0)
			break; /* the daemon hung up */
		sent += (double)w;
	}
	closed = wait_closed(fd, t0 + secs, answer, sizeof(answer));
	printf("flood: sent %.1f MB in %.2f s\n", sent / 1e6, now_s() - t0);
	report("flood", closed, t0, secs);
	answer[strcspn(answer, "\n")] = '\0';
	printf("flood: answer %s\n", answer[0] ? answer : "(none)");
	return !closed;
}

static int many(const char *path, int n, double secs)
{
	static const char half[] = "get=1\n";
	double t0 = now_s();
	int *fd = calloc((size_t)n, sizeof(*fd)), closed = 0;

	if (!fd)
		return 2;
	for (int i = 0; i < n; i++) {
		fd[i] = connect_to(path);
		if (write(fd[i], half, sizeof(half) - 1) < 0)
			return 2;
	}
	printf("many: %d connections open after %.3f s\n", n, now_s() - t0);
	for (int i = 0; i < n; i++)
		closed += wait_closed(fd[i], t0 + secs, NULL, 0);
	printf("many: %d of %d closed by the daemon, the last after %.2f s\n",
	       closed, n, now_s() - t0);
	return closed != n;
}

static int get(const char *path)
{
	static const char req[] = "get=1\n\n";
	static char answer[1 << 20];
	double t0 = now_s();
	int fd = connect_to(path);
	size_t have = 0;
	ssize_t n;

	if (write(fd, req, sizeof(req) - 1) < 0)
		return 2;
	while (have < sizeof(answer) - 1 &&
	       (n = read(fd, answer + have, sizeof(answer) - 1 - have)) > 0) {
		have += (size_t)n;
		answer[have] = '\0';
		if (strstr(answer, "errno=0\n\n"))
			break;
	}
	if (!strstr(answer, "errno=0\n\n"))
		return 1;
	printf("%.0f\n", (now_s() - t0) * 1000);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc == 4 && !strcmp(argv[2], "stall"))
		return stall(argv[1], atof(argv[3]));
	if (argc == 4 && !strcmp(argv[2], "trickle"))
		return trickle(argv[1], atof(argv[3]));
	if (argc == 5 && !strcmp(argv[2], "flood"))
		return flood(argv[1], atof(argv[3]), atof(argv[4]));
	if (argc == 3 && !strcmp(argv[2], "get"))
		return get(argv[1]);
	if (argc == 5 && !strcmp(argv[2], "many"))
		return many(argv[1], atoi(argv[3]), atof(argv[4]));
	fprintf(stderr, "usage: uapiclient SOCK stall|trickle SECS | "
			"flood BYTES SECS | many N SECS | get\n");
	return 2;
}
