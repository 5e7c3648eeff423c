// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness of lanwired's UAPI request reader (daemon/uapi_conn.c,
 * the reader every client connection of uapi_server.c has) and the get /
 * apply behind it (daemon/uapi.c): the input is what a client writes on
 * the socket (any number of get=1 / set=1 requests), served in one write
 * by uapi_handle_text() to a device that a fixed set transaction has
 * given a listen port and two peers, and again to a second such device in
 * pieces cut at arbitrary points (chosen by a hash of the input), the
 * answers taken as soon as they are there. Besides the sanitizers'
 * findings it traps when a promise breaks:
 *   - the pieces get the same answers and leave the same device as the
 *     one write;
 *   - a lone request that fails (errno other than 0), and input with no
 *     set=1 at all, leave the device exactly as it was;
 *   - what get=1 prints afterwards, turned into a set transaction and
 *     applied to a fresh device, is accepted and prints the same (get and
 *     set agree on every field: keys, endpoints, allowed IPs, keepalive);
 *   - lanwire status's reader (planner/status.c) parses the get answer
 *     and finds the device's listen port, private key, peers in order,
 *     and every drop counter (lanwire_drop lines) with its name.
 * Nothing reaches the network: the device's ops open no sockets and
 * send nothing, so a listen_port binds nothing and a keepalive sent on
 * "persistent_keepalive_interval" goes nowhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto.h"
#include "device.h"
#include "log.h"
#include "peer.h"
#include "status.h"
#include "uapi.h"
#include "uapi_conn.h"

#define MAX_INPUT 65536

/* The starting point of every input: a listen port, two peers. */
static const char base_config[] =
	"set=1\n"
	"listen_port=51820\n"
	"public_key=24aa9da15e0a3225df855705217389d849509993c9a4e2f2a08c75fd1cd69b07\n"
	"preshared_key=52f5dde0a35226e52c1dcb032d56ac03bf67b50aa1c899da0bb0d2d88cba526d\n"
	"endpoint=192.0.2.1:51820\n"
	"allowed_ip=10.0.0.2/32\n"
	"allowed_ip=10.1.0.0/16\n"
	"public_key=6d4e640d804d06505e8cf6f0acfdcc81cdee0bd2808cb9b44d85c7e0c56e0618\n"
	"endpoint=[2001:db8::1]:51821\n"
	"persistent_keepalive_interval=25\n"
	"allowed_ip=fd00::2/128\n"
	"allowed_ip=0.0.0.0/0\n"
	"\n";

static int devnull = -1;

/* ---- the device's ops: sockets that are not ---- */

static int null_udp_open(uint16_t port, uint32_t fwmark, int *fd4, int *fd6,
			 uint16_t *bound_port)
{
	(void)fwmark;
	/* Real descriptors (the device closes them), bound to nothing. */
	*fd4 = dup(devnull);
	*fd6 = dup(devnull);
	*bound_port = port ? port : 40000;
	return 0;
}

static int null_udp_set_fwmark(int fd4, int fd6, uint32_t fwmark)
{
	(void)fd4, (void)fd6, (void)fwmark;
	return 0;
}

/* No wire: every datagram "leaves", nothing arrives. */
static int null_sendmmsg(int fd, struct mmsghdr *msgs, unsigned n, int flags)
{
	(void)fd, (void)msgs, (void)flags;
	return (int)n;
}

static int null_recvmmsg(int fd, struct mmsghdr *msgs, unsigned n, int flags,
			 struct timespec *timeout)
{
	(void)fd, (void)msgs, (void)n, (void)flags, (void)timeout;
	errno = EAGAIN;
	return -1;
}

static const struct udp_io null_io = {
	.sendmmsg = null_sendmmsg,
	.recvmmsg = null_recvmmsg,
};

static struct device_ops null_ops;

/* ---- helpers ---- */

static void run(struct device *dev, const char *req, size_t len,
		struct uapi_buf *out)
{
	memset(out, 0, sizeof(*out));
	uapi_handle_text(dev, req, len, out);
	if (out->error)
		abort();
}

/* The device's get answer, "errno=0" and all. */
static void get(struct device *dev, struct uapi_buf *out)
{
	static const char req[] = "get=1\n\n";

	run(dev, req, sizeof(req) - 1, out);
}

static bool has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* Counters that a keepalive sent while applying may move. */
static bool is_counter(const char *line)
{
	return has_prefix(line, "tx_bytes=") || has_prefix(line, "rx_bytes=") ||
	       has_prefix(line, UAPI_DROP_KEY "=") ||
	       has_prefix(line, "last_handshake_time_");
}

/*
 * Copies the lines of text into out, keeping those keep() wants; with
 * as_set, as a set transaction ("set=1", replace_peers, ..., blank line).
 */
static void filter_lines(const char *text, size_t len, bool as_set,
			 struct uapi_buf *out)
{
	const char *line = text, *end = text + len, *nl;
	size_t n;

	memset(out, 0, sizeof(*out));
	out->cap = len + 64;
	out->data = malloc(out->cap);
	if (!out->data)
		abort();
	if (as_set)
		out->len = (size_t)sprintf(out->data,
					   "set=1\nreplace_peers=true\n");
	for (; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl)
			break;
		n = (size_t)(nl - line) + 1;
		if (n == 1 || is_counter(line) || has_prefix(line, "errno="))
			continue;
		memcpy(out->data + out->len, line, n);
		out->len += n;
	}
	if (as_set)
		out->data[out->len++] = '\n';
	out->data[out->len] = '\0';
}

static bool same_text(const struct uapi_buf *a, const struct uapi_buf *b)
{
	/* Both may be empty and never allocated (data NULL). */
	return a->len == b->len &&
	       (!a->len || !memcmp(a->data, b->data, a->len));
}

/* How many responses, and whether any failed. */
static unsigned count_responses(const struct uapi_buf *out, bool *failed)
{
	const char *p = out->data;
	unsigned n = 0;

	*failed = false;
	while (p && (p = strstr(p, "errno="))) {
		p += 6;
		n++;
		*failed |= strtol(p, NULL, 10) != 0;
	}
	return n;
}

/* ---- the checks ---- */

/* get, as a set on a fresh device, prints the same again. */
static void check_round_trip(const struct uapi_buf *after)
{
	struct uapi_buf set, again, r, a, b;
	struct device copy;

	if (device_init(&copy, "lwfuzz1"))
		abort();
	copy.ops = &null_ops;
	filter_lines(after->data, after->len, true, &set);
	run(&copy, set.data, set.len, &r);
	if (strcmp(r.data, "errno=0\n\n"))
		__builtin_trap();
	get(&copy, &again);
	filter_lines(after->data, after->len, false, &a);
	filter_lines(again.data, again.len, false, &b);
	if (!same_text(&a, &b))
		__builtin_trap();
	uapi_buf_free(&set);
	uapi_buf_free(&again);
	uapi_buf_free(&r);
	uapi_buf_free(&a);
	uapi_buf_free(&b);
	device_close(&copy);
}

/* lanwire status reads the answer as the device holds itself. */
static void check_status_reader(struct device *dev, const struct uapi_buf *ans)
{
	struct lw_wg_status st;
	struct peer *p;
	size_t i = 0;

	if (status_parse(&st, ans->data))
		__builtin_trap();
	if (st.listen_port != dev->listen_port ||
	    st.has_private_key != dev->local.has_identity ||
	    (st.has_private_key &&
	     memcmp(st.private_key, dev->local.static_private, 32)))
		__builtin_trap();
	for (p = dev->peers_first; p; p = p->list_next, i++) {
		if (i >= st.n_peers ||
		    memcmp(st.peers[i].public_key, p->public_key, 32))
			__builtin_trap();
	}
	if (i != st.n_peers || st.n_drops != DROP_COUNT)
		__builtin_trap();
	for (i = 0; i < DROP_COUNT; i++)
		if (st.drops[i].count != dev->drops[i] ||
		    strcmp(st.drops[i].name, drop_reason_name(i)))
			__builtin_trap();
	status_free(&st);
}

/* Takes every answer the connection has ready. */
static void take(struct uapi_conn *c, struct device *dev, struct uapi_buf *out)
{
	const char *d;
	size_t n, ncap;

	while ((n = uapi_conn_pending(c, &d))) {
		if (out->cap - out->len <= n) {
			ncap = (out->len + n) * 2 + 64;
			out->data = realloc(out->data, ncap);
			if (!out->data)
				abort();
			out->cap = ncap;
		}
		memcpy(out->data + out->len, d, n);
		out->len += n;
		out->data[out->len] = '\0';
		uapi_conn_sent(c, dev, n);
	}
}

/* The input in pieces of 1 to 64 bytes, their sizes drawn from a
 * generator seeded by a hash of the input (FNV-1a). */
static void run_split(struct device *dev, const uint8_t *data, size_t size,
		      struct uapi_buf *out)
{
	struct uapi_conn *c = malloc(sizeof(*c));
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t pos = 0, room, piece;
	char *where;

	if (!c)
		abort();
	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 0x100000001b3ULL;
	memset(out, 0, sizeof(*out));
	uapi_conn_init(c);
	while (pos < size && (room = uapi_conn_space(c, &where))) {
		h ^= h << 13, h ^= h >> 7, h ^= h << 17;
		piece = 1 + h % 64;
		if (piece > room)
			piece = room;
		if (piece > size - pos)
			piece = size - pos;
		memcpy(where, data + pos, piece);
		pos += piece;
		uapi_conn_received(c, dev, piece);
		take(c, dev, out);
	}
	uapi_conn_eof(c, dev);
	take(c, dev, out);
	if (!uapi_conn_is_done(c))
		__builtin_trap();
	uapi_conn_free(c);
	free(c);
}

/* Pieces and one write answered alike and left the devices alike. */
static void check_split(const uint8_t *data, size_t size,
			const struct uapi_buf *whole_out,
			const struct uapi_buf *whole_after)
{
	struct uapi_buf out, after, a, b;
	struct device dev;

	if (device_init(&dev, "lwfuzz2"))
		abort();
	dev.ops = &null_ops;
	run(&dev, base_config, sizeof(base_config) - 1, &out);
	uapi_buf_free(&out);
	run_split(&dev, data, size, &out);
	if (!same_text(&out, whole_out))
		__builtin_trap();
	get(&dev, &after);
	filter_lines(after.data, after.len, false, &a);
	filter_lines(whole_after->data, whole_after->len, false, &b);
	if (!same_text(&a, &b))
		__builtin_trap();
	uapi_buf_free(&out);
	uapi_buf_free(&after);
	uapi_buf_free(&a);
	uapi_buf_free(&b);
	device_close(&dev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uapi_buf out, before, after;
	struct device dev;
	unsigned responses;
	bool failed;

	if (devnull < 0) {
		log_level = LOG_SILENT;
		if (crypto_init())
			abort();
		devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		null_ops = device_ops_system;
		null_ops.udp = &null_io;
		null_ops.udp_open = null_udp_open;
		null_ops.udp_set_fwmark = null_udp_set_fwmark;
	}
	if (size > MAX_INPUT || device_init(&dev, "lwfuzz0"))
		return 0;
	dev.ops = &null_ops;
	run(&dev, base_config, sizeof(base_config) - 1, &out);
	if (strcmp(out.data, "errno=0\n\n"))
		abort(); /* the harness's own configuration must apply */
	uapi_buf_free(&out);
	get(&dev, &before);

	run(&dev, (const char *)data, size, &out);
	get(&dev, &after);
	responses = count_responses(&out, &failed);
	/* Only a set that succeeded may change the device. */
	if ((responses == 1 && failed) || !memmem(data, size, "set=1", 5))
		if (!same_text(&before, &after))
			__builtin_trap();
	check_split(data, size, &out, &after);
	check_round_trip(&after);
	check_status_reader(&dev, &after);

	uapi_buf_free(&out);
	uapi_buf_free(&before);
	uapi_buf_free(&after);
	device_close(&dev);
	return 0;
}
