// SPDX-License-Identifier: MIT
/*
 * lanwire status: a running interface's state read over its UAPI socket
 * (status.h) and shown as wg show does, with each peer named by the node
 * of the description that holds its public key.
 */
#include "status.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "key.h"
#include "desc.h"
#include "keys.h"

#define UAPI_MAX_ANSWER (16 * 1024 * 1024)

_Static_assert(LW_KEY_LEN == HEXKEY_KEY_LEN, "keys in the UAPI are 32 bytes");

/* Exactly 64 hex digits, as the UAPI writes keys (-EPROTO otherwise: a
 * damaged key must not name the wrong peer). */
static int hex_key(uint8_t key[static LW_KEY_LEN], const char *s)
{
	return key_from_hex(key, s, strlen(s)) ? -EPROTO : 0;
}

static void append_allowed(struct lw_wg_peer *p, const char *v)
{
	size_t len = strlen(p->allowed_ips);

	snprintf(p->allowed_ips + len, sizeof(p->allowed_ips) - len, "%s%s",
		 len ? ", " : "", v);
}

static int peer_key(struct lw_wg_peer *p, const char *k, const char *v)
{
	if (!strcmp(k, UAPI_ENDPOINT))
		snprintf(p->endpoint, sizeof(p->endpoint), "%s", v);
	else if (!strcmp(k, UAPI_LAST_HANDSHAKE_SEC))
		p->handshake_sec = strtoull(v, NULL, 10);
	else if (!strcmp(k, UAPI_RX_BYTES))
		p->rx_bytes = strtoull(v, NULL, 10);
	else if (!strcmp(k, UAPI_TX_BYTES))
		p->tx_bytes = strtoull(v, NULL, 10);
	else if (!strcmp(k, UAPI_PERSISTENT_KEEPALIVE))
		p->keepalive = (unsigned int)strtoul(v, NULL, 10);
	else if (!strcmp(k, UAPI_ALLOWED_IP))
		append_allowed(p, v);
	return 0;
}

/* "COUNT NAME" of a drop line: digits, one space, a name. */
static int drop_line(struct lw_wg_status *st, const char *v)
{
	struct lw_wg_drop *d;
	char *end;

	if (*v < '0' || *v > '9')
		return -EPROTO;
	if (lw_grow(&st->drops, &st->cap_drops, st->n_drops + 1,
		    sizeof(*st->drops)))
		return -ENOMEM;
	d = &st->drops[st->n_drops];
	errno = 0;
	d->count = strtoull(v, &end, 10);
	if (errno || *end != ' ' || !end[1])
		return -EPROTO;
	snprintf(d->name, sizeof(d->name), "%s", end + 1);
	st->n_drops++;
	return 0;
}

/* One key=value line; *done set at errno=. */
static int parse_line(struct lw_wg_status *st, char *line, bool *done,
		      int *err)
{
	char *eq = strchr(line, '=');
	struct lw_wg_peer *p;

	if (!eq)
		return -EPROTO;
	*eq++ = '\0';
	if (!strcmp(line, UAPI_ERRNO)) {
		*done = true;
		*err = atoi(eq); /* lanwired: errno=-22; others: errno=22 */
		if (*err > 0)
			*err = -*err;
		return 0;
	}
	if (!strcmp(line, UAPI_PUBLIC_KEY)) {
		if (lw_grow(&st->peers, &st->cap_peers, st->n_peers + 1,
			    sizeof(*st->peers)))
			return -ENOMEM;
		p = &st->peers[st->n_peers++];
		return hex_key(p->public_key, eq);
	}
	if (!strcmp(line, LW_UAPI_DROP_KEY))
		return drop_line(st, eq); /* device-wide wherever it stands */
	if (st->n_peers)
		return peer_key(&st->peers[st->n_peers - 1], line, eq);
	if (!strcmp(line, UAPI_PRIVATE_KEY)) {
		st->has_private_key = true;
		return hex_key(st->private_key, eq);
	}
	if (!strcmp(line, UAPI_LISTEN_PORT))
		st->listen_port = (uint16_t)atoi(eq);
	return 0;
}

int status_parse(struct lw_wg_status *st, const char *text)
{
	char *copy = strdup(text), *line, *save = NULL;
	size_t len = strlen(text);
	bool done = false;
	int r = 0, err = 0;

	memset(st, 0, sizeof(*st));
	if (!copy)
		return -ENOMEM;
	for (line = strtok_r(copy, "\n", &save); line && !r && !done;
	     line = strtok_r(NULL, "\n", &save))
		r = parse_line(st, line, &done, &err);
	/* The whole copy: strtok_r cut it with NULs, and the private key's
	 * line may lie past the first. */
	crypto_wipe(copy, len);
	free(copy);
	if (!r && !done)
		r = -EPROTO;
	return r ? r : err;
}

static int uapi_connect(const char *iface)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, r;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s" UAPI_SOCK_SUFFIX,
		 LW_UAPI_DIR, iface);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		r = errno == ECONNREFUSED ? -ENOENT : -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* Reads until the blank line that ends the answer (5 s at most). */
static int read_answer(int fd, struct lw_buf *b)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	char chunk[4096];
	ssize_t n;

	for (;;) {
		if (b->len >= 2 && !strcmp(b->p + b->len - 2, "\n\n"))
			return 0;
		if (b->len > UAPI_MAX_ANSWER || poll(&pfd, 1, 5000) <= 0)
			return -ETIMEDOUT;
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return b->len ? 0 : -EPROTO;
		buf_putn(b, chunk, (size_t)n);
		if (b->oom)
			return -ENOMEM;
	}
}

int status_set(const char *iface, const char *text)
{
	struct lw_buf b = { 0 };
	const char *e;
	int fd = uapi_connect(iface), r = 0;

	if (fd < 0)
		return fd;
	if (write(fd, "set=1\n", 6) != 6 ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    write(fd, "\n", 1) != 1)
		r = -errno;
	if (!r)
		r = read_answer(fd, &b);
	close(fd);
	e = r ? NULL : strstr(buf_str(&b) ?: "", UAPI_ERRNO "=");
	if (!r)
		r = e ? (int)strtol(e + sizeof(UAPI_ERRNO), NULL, 10) : -EPROTO;
	buf_wipe(&b);
	return r;
}

int status_get(struct lw_wg_status *st, const char *iface)
{
	static const char ask[] = "get=1\n\n";
	struct lw_buf b = { 0 };
	int fd, r;

	memset(st, 0, sizeof(*st));
	fd = uapi_connect(iface);
	if (fd < 0)
		return fd;
	if (write(fd, ask, sizeof(ask) - 1) != sizeof(ask) - 1)
		r = -errno;
	else
		r = read_answer(fd, &b);
	close(fd);
	if (!r)
		r = status_parse(st, buf_str(&b));
	buf_wipe(&b);
	return r;
}

void status_free(struct lw_wg_status *st)
{
	crypto_wipe(st->private_key, sizeof(st->private_key));
	free(st->peers);
	free(st->drops);
	memset(st, 0, sizeof(*st));
}

long status_find_node(const struct lw_desc *d, const struct lw_keyring *kr,
		      const uint8_t key[static LW_KEY_LEN])
{
	size_t i;

	for (i = 0; kr->nodes && i < d->n_nodes; i++) {
		if (kr->nodes[i].has_public &&
		    !memcmp(kr->nodes[i].public_key, key, LW_KEY_LEN))
			return (long)i;
	}
	return -1;
}

static void print_bytes(FILE *f, uint64_t n)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	unsigned int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u)
		fprintf(f, "%.2f %s", v, unit[u]);
	else
		fprintf(f, "%" PRIu64 " B", n);
}

static void print_age(FILE *f, uint64_t then, uint64_t now)
{
	uint64_t s = now > then ? now - then : 0;

	if (!then)
		fputs("never", f);
	else if (s < 60)
		fprintf(f, "%" PRIu64 " s ago", s);
	else if (s < 3600)
		fprintf(f, "%" PRIu64 " min %" PRIu64 " s ago", s / 60, s % 60);
	else
		fprintf(f, "%" PRIu64 " h %" PRIu64 " min ago", s / 3600,
			s / 60 % 60);
}

static void print_peer(FILE *f, const struct lw_wg_peer *p,
		       const struct lw_desc *d, const struct lw_keyring *kr,
		       uint64_t now)
{
	long node = status_find_node(d, kr, p->public_key);
	char role[96], b64[LW_KEY_B64_LEN + 1];

	key_to_base64(b64, p->public_key);
	if (node >= 0)
		fprintf(f, "\npeer: %s (%s)\n", d->nodes[node].name,
			desc_node_role(d, (size_t)node, role, sizeof(role)));
	else
		fprintf(f, "\npeer: (not in the description) %s\n", b64);
	if (node >= 0)
		fprintf(f, "  public key: %s\n", b64);
	if (p->endpoint[0])
		fprintf(f, "  endpoint: %s\n", p->endpoint);
	fprintf(f, "  allowed ips: %s\n",
		p->allowed_ips[0] ? p->allowed_ips : "(none)");
	fputs("  latest handshake: ", f);
	print_age(f, p->handshake_sec, now);
	fputs("\n  transfer: ", f);
	print_bytes(f, p->rx_bytes);
	fputs(" received, ", f);
	print_bytes(f, p->tx_bytes);
	fputs(" sent\n", f);
	if (p->keepalive)
		fprintf(f, "  persistent keepalive: every %u s\n", p->keepalive);
}

/* The reasons that dropped anything, as lanwired counts them; nothing
 * from a daemon that does not count (wireguard-go). */
static void print_drops(FILE *f, const struct lw_wg_status *st)
{
	size_t i, shown = 0;

	if (!st->n_drops)
		return;
	for (i = 0; i < st->n_drops; i++) {
		if (!st->drops[i].count)
			continue;
		if (!shown++)
			fputs("  dropped packets:\n", f);
		fprintf(f, "    %" PRIu64 " %s\n", st->drops[i].count,
			st->drops[i].name);
	}
	if (!shown)
		fputs("  dropped packets: none\n", f);
}

void status_print(FILE *f, const char *iface, const struct lw_wg_status *st,
		  const struct lw_desc *d, const struct lw_keyring *kr,
		  uint64_t now)
{
	uint8_t pub[LW_KEY_LEN];
	char role[96];
	long self = -1;
	size_t i;

	if (st->has_private_key) {
		key_public_from_private(pub, st->private_key);
		self = status_find_node(d, kr, pub);
	}
	fprintf(f, "interface: %s", iface);
	if (self >= 0)
		fprintf(f, " (node %s, %s)", d->nodes[self].name,
			desc_node_role(d, (size_t)self, role, sizeof(role)));
	fputc('\n', f);
	if (st->listen_port)
		fprintf(f, "  listening port: %u\n", st->listen_port);
	print_drops(f, st);
	for (i = 0; i < st->n_peers; i++)
		print_peer(f, &st->peers[i], d, kr, now);
}
