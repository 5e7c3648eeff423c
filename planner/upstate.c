// SPDX-License-Identifier: MIT
/*
 * The state lanwire up keeps in RUN/IFACE.state and the `wg show IFACE
 * dump` it reads back (upstate.h): strict line parsers (any unknown key,
 * missing field or junk is -EINVAL) and the state's formatter.
 */
#include "upstate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "key.h"
#include "keys.h"

#define STATE_MAGIC "lanwire-state 1"

/* ---- prefix lists ---- */

int up_prefix_parse(struct lw_prefix *p, const char *s)
{
	int r = prefix_parse(p, s, false);

	if (r == -EDOM)
		return 0;
	return r ? -EINVAL : 0;
}

int up_prefixes_add(struct lw_up_prefixes *l, const struct lw_prefix *p)
{
	struct lw_prefix *v;

	if (up_prefixes_has(l, p))
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;

		v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *p;
	return 0;
}

bool up_prefixes_has(const struct lw_up_prefixes *l,
		     const struct lw_prefix *p)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (prefix_equal(&l->v[i], p))
			return true;
	return false;
}

void up_prefixes_del(struct lw_up_prefixes *l, const struct lw_prefix *p)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (prefix_equal(&l->v[i], p)) {
			l->v[i] = l->v[--l->n];
			return;
		}
	}
}

/* ---- state ---- */

int up_state_add_sysctl(struct lw_up_state *st, const char *key,
			const char *old)
{
	struct lw_up_sysctl *s;
	size_t i;

	for (i = 0; i < st->n_sysctls; i++)
		if (!strcmp(st->sysctls[i].key, key))
			return 0;
	if (st->n_sysctls == LW_UP_MAX_SYSCTLS ||
	    strlen(key) >= sizeof(s->key) || strlen(old) >= sizeof(s->old))
		return -ENOSPC;
	s = &st->sysctls[st->n_sysctls++];
	snprintf(s->key, sizeof(s->key), "%s", key);
	snprintf(s->old, sizeof(s->old), "%s", old);
	return 0;
}

const char *up_state_endpoint(const struct lw_up_state *st,
			      const uint8_t key[static LW_KEY_LEN])
{
	size_t i;

	for (i = 0; i < st->n_endpoints; i++)
		if (!memcmp(st->endpoints[i].public_key, key, LW_KEY_LEN))
			return st->endpoints[i].endpoint;
	return NULL;
}

int up_state_set_endpoint(struct lw_up_state *st,
			  const uint8_t key[static LW_KEY_LEN],
			  const char *endpoint)
{
	struct lw_up_endpoint *e = NULL;
	size_t i;

	if (strlen(endpoint) >= sizeof(e->endpoint))
		return -EINVAL;
	for (i = 0; i < st->n_endpoints && !e; i++)
		if (!memcmp(st->endpoints[i].public_key, key, LW_KEY_LEN))
			e = &st->endpoints[i];
	if (!e) {
		if (lw_grow(&st->endpoints, &st->cap_endpoints,
			    st->n_endpoints + 1, sizeof(*e)))
			return -ENOMEM;
		e = &st->endpoints[st->n_endpoints++];
		memcpy(e->public_key, key, LW_KEY_LEN);
	}
	snprintf(e->endpoint, sizeof(e->endpoint), "%s", endpoint);
	return 0;
}

/* A word of printable characters without spaces that fits size. */
static bool word_ok(const char *s, size_t size)
{
	size_t n = strlen(s);

	if (!n || n >= size)
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s > '~')
			return false;
	return true;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || *end || *out > max ? -EINVAL : 0;
}

static int state_prefix(struct lw_up_prefixes *l, const char *v)
{
	struct lw_prefix p;

	if (up_prefix_parse(&p, v))
		return -EINVAL;
	return up_prefixes_add(l, &p);
}

static int state_pid(struct lw_up_state *st, const char *v)
{
	unsigned long n;

	if (parse_uint(v, 0x3fffffff, &n) || !n ||
	    st->n_pids == LW_UP_MAX_PIDS)
		return -EINVAL;
	st->pids[st->n_pids++] = (pid_t)n;
	return 0;
}

static int state_sysctl(struct lw_up_state *st, const char *v)
{
	const char *sp = strchr(v, ' ');
	char key[96];

	if (!sp || (size_t)(sp - v) >= sizeof(key))
		return -EINVAL;
	snprintf(key, sizeof(key), "%.*s", (int)(sp - v), v);
	if (!word_ok(key, sizeof(key)) || !word_ok(sp + 1, 64))
		return -EINVAL;
	return up_state_add_sysctl(st, key, sp + 1) ? -EINVAL : 0;
}

/* "KEY HOST:PORT" */
static int state_endpoint(struct lw_up_state *st, const char *v)
{
	const char *sp = strchr(v, ' ');
	uint8_t key[LW_KEY_LEN];
	char text[LW_KEY_B64_LEN + 1];

	if (!sp || sp - v != LW_KEY_B64_LEN)
		return -EINVAL;
	snprintf(text, sizeof(text), "%.*s", LW_KEY_B64_LEN, v);
	if (key_from_base64(key, text) ||
	    !word_ok(sp + 1, sizeof(st->endpoints->endpoint)))
		return -EINVAL;
	return up_state_set_endpoint(st, key, sp + 1);
}

/* One "key value" line. */
static int state_line(struct lw_up_state *st, const char *k, const char *v)
{
	unsigned long n;

	if (!strcmp(k, "node") && word_ok(v, sizeof(st->node)))
		snprintf(st->node, sizeof(st->node), "%s", v);
	else if (!strcmp(k, "iface") && word_ok(v, sizeof(st->iface)))
		snprintf(st->iface, sizeof(st->iface), "%s", v);
	else if (!strcmp(k, "user") && word_ok(v, sizeof(st->user)))
		snprintf(st->user, sizeof(st->user), "%s", v);
	else if (!strcmp(k, "ifindex") && !parse_uint(v, 0x7fffffff, &n) && n)
		st->ifindex = (unsigned int)n;
	else if (!strcmp(k, "pid"))
		return state_pid(st, v);
	else if (!strcmp(k, "addr"))
		return state_prefix(&st->addrs, v);
	else if (!strcmp(k, "route"))
		return state_prefix(&st->routes, v);
	else if (!strcmp(k, "nft") && !strcmp(v, "inet " LW_NFT_TABLE))
		st->nft = true;
	else if (!strcmp(k, "sysctl"))
		return state_sysctl(st, v);
	else if (!strcmp(k, "endpoint"))
		return state_endpoint(st, v);
	else
		return -EINVAL;
	return 0;
}

int up_state_parse(struct lw_up_state *st, const char *text, int *line)
{
	const char *p = text, *nl, *sp;
	char buf[256];
	int r = 0;

	memset(st, 0, sizeof(*st));
	for (*line = 1; *p && !r; (*line)++, p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl || (size_t)(nl - p) >= sizeof(buf))
			return -EINVAL;
		snprintf(buf, sizeof(buf), "%.*s", (int)(nl - p), p);
		if (*line == 1) {
			r = strcmp(buf, STATE_MAGIC) ? -EINVAL : 0;
			continue;
		}
		sp = strchr(buf, ' ');
		if (!sp)
			return -EINVAL;
		buf[sp - buf] = '\0';
		r = state_line(st, buf, sp + 1);
	}
	if (r) {
		(*line)--;
		return r;
	}
	if (*line == 1 || !st->iface[0] || !st->node[0])
		return -EINVAL;
	return 0;
}

static void put_prefixes(struct lw_buf *b, const char *key,
			 const struct lw_up_prefixes *l)
{
	char text[LW_PREFIX_STRLEN];
	size_t i;

	for (i = 0; i < l->n; i++) {
		prefix_format(text, sizeof(text), &l->v[i]);
		buf_printf(b, "%s %s\n", key, text);
	}
}

char *up_state_format(const struct lw_up_state *st)
{
	char key[LW_KEY_B64_LEN + 1];
	struct lw_buf b = { 0 };
	size_t i;

	buf_printf(&b, STATE_MAGIC "\nnode %s\niface %s\n", st->node,
		   st->iface);
	if (st->ifindex)
		buf_printf(&b, "ifindex %u\n", st->ifindex);
	if (st->user[0])
		buf_printf(&b, "user %s\n", st->user);
	for (i = 0; i < st->n_pids; i++)
		buf_printf(&b, "pid %d\n", (int)st->pids[i]);
	put_prefixes(&b, "addr", &st->addrs);
	put_prefixes(&b, "route", &st->routes);
	if (st->nft)
		buf_puts(&b, "nft inet " LW_NFT_TABLE "\n");
	for (i = 0; i < st->n_sysctls; i++)
		buf_printf(&b, "sysctl %s %s\n", st->sysctls[i].key,
			   st->sysctls[i].old);
	for (i = 0; i < st->n_endpoints; i++) {
		key_to_base64(key, st->endpoints[i].public_key);
		buf_printf(&b, "endpoint %s %s\n", key,
			   st->endpoints[i].endpoint);
	}
	return buf_steal(&b);
}

void up_state_free(struct lw_up_state *st)
{
	free(st->addrs.v);
	free(st->routes.v);
	free(st->endpoints);
	memset(st, 0, sizeof(*st));
}

/* ---- wg show dump ---- */

/* Splits line (modified) at tabs into exactly n fields. */
static bool split_tabs(char *line, char **f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		f[i] = line;
		line = strchr(line, '\t');
		if (i + 1 < n && !line)
			return false;
		if (line)
			*line++ = '\0';
	}
	return !line;
}

/* "(none)" or a key. */
static int dump_key(const char *s, bool *has, uint8_t key[static LW_KEY_LEN])
{
	*has = strcmp(s, "(none)") != 0;
	return *has ? key_from_base64(key, s) : 0;
}

static int dump_interface(struct lw_wg_dump *dump, char *line)
{
	unsigned long port;
	char *f[4];

	if (!split_tabs(line, f, 4) ||
	    dump_key(f[0], &dump->has_private_key, dump->private_key) ||
	    dump_key(f[1], &dump->has_public_key, dump->public_key) ||
	    parse_uint(f[2], 65535, &port))
		return -EINVAL;
	dump->listen_port = (uint16_t)port;
	return 0;
}

static int dump_allowed(struct lw_dump_peer *p, char *list)
{
	char *save = NULL, *t;
	struct lw_prefix pf;
	int r = 0;

	if (!strcmp(list, "(none)"))
		return 0;
	for (t = strtok_r(list, ",", &save); t && !r;
	     t = strtok_r(NULL, ",", &save)) {
		if (prefix_parse(&pf, t, true))
			return -EINVAL;
		r = up_prefixes_add(&p->allowed, &pf);
	}
	return r;
}

static struct lw_dump_peer *dump_new_peer(struct lw_wg_dump *dump)
{
	struct lw_dump_peer *v;

	if (dump->n_peers == dump->cap_peers) {
		size_t cap = dump->cap_peers ? 2 * dump->cap_peers : 8;

		v = realloc(dump->peers, cap * sizeof(*v));
		if (!v)
			return NULL;
		dump->peers = v;
		dump->cap_peers = cap;
	}
	v = &dump->peers[dump->n_peers++];
	memset(v, 0, sizeof(*v));
	return v;
}

static int dump_peer(struct lw_wg_dump *dump, char *line)
{
	struct lw_dump_peer *p;
	unsigned long ka, hs, rx;
	bool has;
	char *f[8];

	if (!split_tabs(line, f, 8))
		return -EINVAL;
	p = dump_new_peer(dump);
	if (!p)
		return -ENOMEM;
	if (dump_key(f[0], &has, p->public_key) || !has ||
	    dump_key(f[1], &p->has_psk, p->psk) ||
	    !word_ok(f[2], sizeof(p->endpoint)) ||
	    parse_uint(f[4], (unsigned long)-1, &hs) ||
	    parse_uint(f[5], (unsigned long)-1, &rx) ||
	    parse_uint(f[6], (unsigned long)-1, &rx))
		return -EINVAL;
	if (strcmp(f[2], "(none)"))
		snprintf(p->endpoint, sizeof(p->endpoint), "%s", f[2]);
	p->handshake = hs;
	if (!strcmp(f[7], "off"))
		ka = 0;
	else if (parse_uint(f[7], 65535, &ka) || !ka)
		return -EINVAL;
	p->keepalive = (unsigned int)ka;
	return dump_allowed(p, f[3]);
}

int wg_dump_parse(struct lw_wg_dump *dump, const char *text)
{
	char *copy = strdup(text), *line, *save = NULL;
	size_t len = strlen(text);
	int r = 0, n = 0;

	memset(dump, 0, sizeof(*dump));
	if (!copy)
		return -ENOMEM;
	if (!len || text[len - 1] != '\n' || strstr(text, "\n\n"))
		r = -EINVAL;
	for (line = strtok_r(copy, "\n", &save); line && !r;
	     line = strtok_r(NULL, "\n", &save))
		r = n++ ? dump_peer(dump, line) : dump_interface(dump, line);
	if (!r && !n)
		r = -EINVAL;
	crypto_wipe(copy, len);
	free(copy);
	return r;
}

void wg_dump_free(struct lw_wg_dump *dump)
{
	size_t i;

	for (i = 0; i < dump->n_peers; i++)
		free(dump->peers[i].allowed.v);
	if (dump->peers)
		crypto_wipe(dump->peers, dump->n_peers * sizeof(*dump->peers));
	free(dump->peers);
	crypto_wipe(dump, sizeof(*dump));
}

const struct lw_dump_peer *wg_dump_find(const struct lw_wg_dump *dump,
					const uint8_t key[static LW_KEY_LEN])
{
	size_t i;

	for (i = 0; i < dump->n_peers; i++)
		if (!memcmp(dump->peers[i].public_key, key, LW_KEY_LEN))
			return &dump->peers[i];
	return NULL;
}
