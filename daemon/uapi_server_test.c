// SPDX-License-Identifier: MIT
/*
 * The UAPI reader and server (uapi_conn.c, uapi_server.c) without a TUN
 * or UDP: transcripts fed in arbitrary byte splits (every split point of
 * the short ones, byte by byte, random splits of the long ones) answer
 * exactly as one write does and leave the same device; the size cap; and
 * the server on a real epoll with unix-socket clients on an injected
 * clock: the deadline for a whole request (a stalled client is closed at
 * 5 s, an answer restarts the clock), a client that never reads its
 * answers, many clients interleaved, and the oldest closed when full.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "crypto.h"
#include "device.h"
#include "log.h"
#include "test.h"
#include "uapi.h"
#include "uapi_conn.h"
#include "uapi_server.h"

#define PRIV "e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a"
#define PUB1 "b85996fecc9c7f1fc6d2572a76eda11d59bcd20be8e543b15ce4bd85a8e75a33"
#define PUB2 "58402e695ba1772b1cc9309755f043251ea77fdcf10fbe63989ceae8c6d25f4c"
#define PSK "188515093e952f5f22e865cef3012e72f8b5f0b598ac0309d5dacce3b70fcf52"
#define SEC 1000000000ULL

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static void append(struct uapi_buf *b, const char *s, size_t n)
{
	if (b->cap - b->len <= n) {
		b->cap = (b->len + n) * 2 + 64;
		b->data = realloc(b->data, b->cap);
		if (!b->data)
			abort();
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* ---- the reader, sans I/O ---- */

static const char *const transcripts[] = {
	"get=1\n\n",
	"set=1\nprivate_key=" PRIV "\npublic_key=" PUB1 "\npreshared_key="
	PSK "\nendpoint=127.0.0.1:51000\nallowed_ip=10.0.0.0/24\n"
	"allowed_ip=fd00::1/128\n\nget=1\n\n",
	"set=1\npublic_key=" PUB1 "\nallowed_ip=10.9.0.0/33\n\nget=1\n\n",
	"set=1\npublic_key=" PUB2 "\nallowed_ip=10.1.0.0/16\n\nset=1\n"
	"public_key=" PUB2 "\nremove=true\n\nget=1\n\n",
	"get=1\nlisten_port=1\n\nget=1\n\n", /* get takes no keys */
	"frobnicate=1\n\nget=1\n\n",         /* unknown: answered, closed */
	"set=1\npublic_key=" PUB1 "\nallowed_ip=10.", /* cut short: -EPROTO */
	"get=1\n",                                    /* cut short: -EINVAL */
	"\n",
	"",
	/* Found by fuzz/uapi_server: a line of 4096 bytes or more is refused
	 * whether or not its newline came in the same read. */
	"set=1\nallowed_ip=@LONG@\n\n",
};

/* The transcript with @LONG@ replaced by 5000 digits. */
static const char *long_line(const char *t)
{
	static char buf[6000];
	const char *at = strstr(t, "@LONG@");

	if (!at)
		return t;
	snprintf(buf, sizeof(buf), "%.*s%05000d%s", (int)(at - t), t, 1, at + 6);
	return buf;
}

/* Feeds text in the pieces that cuts[] (ascending offsets) make, taking
 * every answer as soon as it is there; then EOF. */
static void feed(struct device *dev, const char *text, size_t len,
		 const size_t *cuts, size_t ncuts, struct uapi_buf *out)
{
	struct uapi_conn *c = malloc(sizeof(*c));
	size_t pos = 0, k = 0;
	const char *data;
	size_t n;

	uapi_conn_init(c);
	while (pos < len) {
		size_t stop = k < ncuts ? cuts[k++] : len, room;
		char *where;

		while (pos < stop) {
			while ((n = uapi_conn_pending(c, &data))) {
				append(out, data, n);
				uapi_conn_sent(c, dev, n);
			}
			room = uapi_conn_space(c, &where);
			if (!room)
				goto eof; /* closing: the rest is not read */
			if (room > stop - pos)
				room = stop - pos;
			memcpy(where, text + pos, room);
			pos += room;
			uapi_conn_received(c, dev, room);
		}
	}
eof:
	uapi_conn_eof(c, dev);
	while ((n = uapi_conn_pending(c, &data))) {
		append(out, data, n);
		uapi_conn_sent(c, dev, n);
	}
	CHECK(uapi_conn_is_done(c));
	uapi_conn_free(c);
	free(c);
}

/* One run on a fresh device: the answers, then what get=1 says after. */
static char *run_split(const char *text, const size_t *cuts, size_t ncuts)
{
	struct uapi_buf out = { 0 }, after = { 0 };
	struct device dev;
	char *s;

	if (device_init(&dev, "lwua0") < 0)
		abort();
	feed(&dev, text, strlen(text), cuts, ncuts, &out);
	uapi_get(&dev, &after);
	if (asprintf(&s, "%s--\n%s", out.data ? out.data : "",
		     after.data ? after.data : "") < 0)
		abort();
	uapi_buf_free(&out);
	uapi_buf_free(&after);
	device_close(&dev);
	return s;
}

static void test_splits(void)
{
	static size_t bytes[8192];
	size_t cuts[2];

	for (size_t t = 0; t < sizeof(transcripts) / sizeof(*transcripts);
	     t++) {
		const char *text = long_line(transcripts[t]);
		size_t len = strlen(text), bad = 0;
		char *whole = run_split(text, NULL, 0), *s;

		/* Every single split point of a short one, random ones of a
		 * long one; and one byte at a time. */
		for (size_t at = 1; at < len && len <= 600; at++) {
			cuts[0] = at;
			s = run_split(text, cuts, 1);
			bad += strcmp(s, whole) != 0;
			free(s);
		}
		for (int r = 0; r < 100 && len > 600; r++) {
			cuts[0] = rnd((uint32_t)len);
			cuts[1] = cuts[0] + rnd((uint32_t)(len - cuts[0]));
			s = run_split(text, cuts, 2);
			bad += strcmp(s, whole) != 0;
			free(s);
		}
		for (size_t i = 0; i + 1 < len; i++)
			bytes[i] = i + 1;
		s = run_split(text, bytes, len ? len - 1 : 0);
		bad += strcmp(s, whole) != 0;
		free(s);
		CHECK_EQ(bad, 0);
		free(whole);
	}
	/* The answer to the second transcript, as it must read. */
	{
		char *s = run_split(transcripts[2], NULL, 0);

		CHECK(!strncmp(s, "errno=-22\n\n", 11));
		free(s);
	}
}

/* A long transcript (many peers, several requests) cut at random. */
static void test_random_splits(void)
{
	char *text = NULL, *whole, *s;
	size_t len, cuts[64], bad = 0;
	FILE *f;

	f = open_memstream(&text, &len);
	/* No private key: 200 static-static DHs a run would be most of the
	 * test's time. */
	fputs("set=1\n", f);
	for (int i = 0; i < 200; i++) {
		fprintf(f, "public_key=%064x\nallowed_ip=10.%d.%d.0/24\n", i + 1,
			i / 200, i % 200);
		if (i % 3 == 0)
			fprintf(f, "endpoint=[fd00::%x]:%d\n", i, 1000 + i);
	}
	fputs("\nget=1\n\nset=1\npublic_key=" PUB1 "\nbogus=1\n\nget=1\n\n", f);
	fclose(f);
	whole = run_split(text, NULL, 0);
	CHECK(strstr(whole, "errno=0\n\n") && strstr(whole, "errno=-22\n\n"));
	for (int r = 0; r < 100; r++) {
		size_t n = 1 + rnd(63);

		for (size_t i = 0; i < n; i++)
			cuts[i] = rnd((uint32_t)len);
		/* ascending, as feed wants */
		for (size_t i = 1; i < n; i++)
			for (size_t j = i; j && cuts[j - 1] > cuts[j]; j--) {
				size_t x = cuts[j];

				cuts[j] = cuts[j - 1];
				cuts[j - 1] = x;
			}
		s = run_split(text, cuts, n);
		bad += strcmp(s, whole) != 0;
		free(s);
	}
	CHECK_EQ(bad, 0);
	free(whole);
	free(text);
}

/* Past UAPI_MAX_REQUEST bytes a set is refused and the connection ends;
 * a long line is refused at once. */
static void test_size_cap(void)
{
	static const char line[] = "allowed_ip=10.1.2.3/32\n";
	struct uapi_conn *c = malloc(sizeof(*c));
	size_t taken = 0, room, n;
	struct device dev;
	const char *data;
	char *where;

	if (device_init(&dev, "lwua0") < 0)
		abort();
	uapi_conn_init(c);
	room = uapi_conn_space(c, &where);
	n = (size_t)sprintf(where, "set=1\npublic_key=%s\n", PUB1);
	uapi_conn_received(c, &dev, n);
	taken += n;
	while ((room = uapi_conn_space(c, &where)) && taken < 2 * UAPI_MAX_REQUEST) {
		n = 0;
		while (room - n >= sizeof(line) - 1) {
			memcpy(where + n, line, sizeof(line) - 1);
			n += sizeof(line) - 1;
		}
		uapi_conn_received(c, &dev, n);
		taken += n;
	}
	CHECK(taken > UAPI_MAX_REQUEST);
	CHECK(taken <= UAPI_MAX_REQUEST + sizeof(c->in));
	n = uapi_conn_pending(c, &data);
	CHECK(n == 11 && !memcmp(data, "errno=-90\n\n", 11));
	uapi_conn_sent(c, &dev, n);
	CHECK(uapi_conn_is_done(c));
	CHECK_EQ(dev.npeers, 0);
	uapi_conn_free(c);

	/* A line longer than UAPI_MAX_LINE. */
	uapi_conn_init(c);
	while ((room = uapi_conn_space(c, &where))) {
		memset(where, 'a', room);
		uapi_conn_received(c, &dev, room);
	}
	n = uapi_conn_pending(c, &data);
	CHECK(n == 11 && !memcmp(data, "errno=-90\n\n", 11));
	uapi_conn_free(c);
	free(c);
	device_close(&dev);
}

/* ---- the server, on a real epoll, with an injected clock ---- */

static struct device sdev;
static struct uapi_server *srv;
static int epfd = -1, lfd = -1;
static struct sockaddr_un laddr;
static socklen_t laddr_len;

static void server_up(void)
{
	laddr.sun_family = AF_UNIX;
	/* Abstract address: nothing in the file system to clean up. */
	snprintf(laddr.sun_path + 1, sizeof(laddr.sun_path) - 1,
		 "lwua-test-%d", (int)getpid());
	laddr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				strlen(laddr.sun_path + 1));
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (lfd < 0 || epfd < 0 ||
	    bind(lfd, (struct sockaddr *)&laddr, laddr_len) < 0 ||
	    listen(lfd, 512) < 0 || device_init(&sdev, "lwua1") < 0)
		abort();
	srv = uapi_server_new(lfd, epfd);
	CHECK(srv != NULL);
}

/* A connected client socket, non-blocking. */
static int client(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&laddr, laddr_len) < 0)
		abort();
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* Runs the server's events as the device loop would, at time now, until
 * none are left. Returns the rounds it took. */
static int pump(uint64_t now)
{
	struct epoll_event evs[64];
	int rounds = 0, n;

	while (rounds < 10000 && (n = epoll_wait(epfd, evs, 64, 0)) > 0) {
		rounds++;
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == lfd)
				uapi_server_accept(srv, &sdev, now);
			else
				CHECK(uapi_server_handle(srv, &sdev,
							 evs[i].data.fd,
							 evs[i].events, now));
		}
	}
	return rounds;
}

/* What the client can read now into out; true once the daemon closed. */
static bool take(int fd, struct uapi_buf *out)
{
	char b[4096];
	ssize_t n;

	while ((n = read(fd, b, sizeof(b))) > 0)
		append(out, b, (size_t)n);
	return n == 0 || (n < 0 && errno != EAGAIN);
}

static void put(int fd, const char *s)
{
	CHECK_EQ(write(fd, s, strlen(s)), (long long)strlen(s));
}

static void test_deadline(uint64_t t0)
{
	struct uapi_buf out = { 0 };
	int fd = client();

	sdev.next_timer_ns = 0;
	put(fd, "set=1\nlisten_po");
	pump(t0);
	CHECK_EQ(uapi_server_clients(srv), 1);
	CHECK_EQ(sdev.next_timer_ns, t0 + 5 * SEC); /* the loop wakes then */
	CHECK_EQ(uapi_server_expire(srv, t0 + 5 * SEC - 1), t0 + 5 * SEC);
	CHECK(!take(fd, &out));
	CHECK_EQ(uapi_server_expire(srv, t0 + 5 * SEC), 0);
	CHECK_EQ(uapi_server_clients(srv), 0);
	CHECK(take(fd, &out));
	CHECK(out.data && !strcmp(out.data, "errno=-110\n\n"));
	uapi_buf_free(&out);
	close(fd);

	/* A byte every 2 s does not move the deadline. */
	fd = client();
	pump(t0);
	for (int k = 0; k < 3; k++) {
		put(fd, "s");
		pump(t0 + (uint64_t)k * 2 * SEC);
		uapi_server_expire(srv, t0 + (uint64_t)k * 2 * SEC);
	}
	CHECK_EQ(uapi_server_clients(srv), 1);
	uapi_server_expire(srv, t0 + 5 * SEC);
	CHECK_EQ(uapi_server_clients(srv), 0);
	close(fd);

	/* An answer restarts the clock for the next request. */
	fd = client();
	pump(t0);
	put(fd, "get=1\n\n");
	pump(t0 + 4 * SEC);
	take(fd, &out);
	CHECK(out.len > 9 && !strcmp(out.data + out.len - 9, "errno=0\n\n"));
	CHECK_EQ(uapi_server_expire(srv, t0 + 8 * SEC), t0 + 9 * SEC);
	CHECK_EQ(uapi_server_expire(srv, t0 + 9 * SEC), 0);
	uapi_buf_free(&out);
	CHECK(take(fd, &out));
	CHECK_EQ(out.len, 0); /* nothing was under way: no errno line */
	close(fd);
}

/* A client that asks and asks and never reads: the server stops at a full
 * socket buffer instead of blocking, and the deadline ends it. */
static void test_never_reads(uint64_t t0)
{
	int fd = client(), rounds;
	char req[7 * 1000 + 1] = "";

	for (int i = 0; i < 1000; i++)
		strcat(req, "get=1\n\n");
	put(fd, req);
	rounds = pump(t0);
	CHECK(rounds < 10000);
	CHECK_EQ(uapi_server_clients(srv), 1);
	uapi_server_expire(srv, t0 + 5 * SEC);
	CHECK_EQ(uapi_server_clients(srv), 0);
	close(fd);
}

/* Forty clients, each with its own transcript, written in random pieces
 * in random order: each gets exactly its own answers. */
static void test_interleaved(uint64_t t0)
{
	enum { N = 40 };
	char *text[N];
	size_t pos[N] = { 0 }, left = 0;
	int fd[N];

	for (int i = 0; i < N; i++) {
		if (asprintf(&text[i], "set=1\npublic_key=%064x\n"
			     "allowed_ip=10.77.%d.0/%d\n\nget=1\n\n", 0x1000 + i,
			     i, i % 5 ? 24 : 99) < 0)
			abort();
		fd[i] = client();
		left += strlen(text[i]);
	}
	while (left) {
		int i = (int)rnd(N);
		size_t len = strlen(text[i]), n = 1 + rnd(20);

		if (pos[i] == len)
			continue;
		if (n > len - pos[i])
			n = len - pos[i];
		CHECK_EQ(write(fd[i], text[i] + pos[i], n), (long long)n);
		pos[i] += n;
		left -= n;
		pump(t0);
	}
	for (int i = 0; i < N; i++) {
		struct uapi_buf out = { 0 };
		const char *first = i % 5 ? "errno=0\n\n" : "errno=-22\n\n";

		take(fd[i], &out);
		CHECK(out.data && !strncmp(out.data, first, strlen(first)));
		CHECK(out.data && out.len > 9 &&
		      !strcmp(out.data + out.len - 9, "errno=0\n\n"));
		uapi_buf_free(&out);
		close(fd[i]);
		free(text[i]);
	}
	pump(t0);
	CHECK_EQ(uapi_server_clients(srv), 0); /* EOF closed them */
	CHECK_EQ(sdev.npeers, N - N / 5);
}

/* One client more than the table holds: the oldest goes. */
static void test_full(uint64_t t0)
{
	int fd[UAPI_MAX_CLIENTS + 1];
	struct uapi_buf out = { 0 };

	for (int i = 0; i <= UAPI_MAX_CLIENTS; i++) {
		fd[i] = client();
		pump(t0 + (uint64_t)i);
	}
	CHECK_EQ(uapi_server_clients(srv), UAPI_MAX_CLIENTS);
	CHECK(take(fd[0], &out));  /* closed */
	CHECK(!take(fd[1], &out)); /* still open */
	for (int i = 0; i <= UAPI_MAX_CLIENTS; i++)
		close(fd[i]);
	pump(t0);
	CHECK_EQ(uapi_server_clients(srv), 0);
	uapi_buf_free(&out);
}

static void test_server(void)
{
	server_up();
	test_deadline(100 * SEC);
	test_never_reads(200 * SEC);
	test_interleaved(300 * SEC);
	test_full(400 * SEC);
	CHECK(!uapi_server_handle(srv, &sdev, 12345, EPOLLIN, 0));
	uapi_server_free(srv);
	device_close(&sdev);
	close(epfd);
	close(lfd);
}


int main(void)
{
	if (crypto_init() < 0)
		return 1;
	log_level = LOG_SILENT; /* the refusals would be logged */
	test_splits();
	test_random_splits();
	test_size_cap();
	test_server();
	return test_finish("uapi_server");
}
