// SPDX-License-Identifier: MIT
/*
 * lanwire serve HUB --store DIR (ctl.h, docs/control.md): the hub's side
 * of the control plane, over HTTP with libmicrohttpd, listening only on
 * the hub's tunnel address (tcp/8471), so every request has come through
 * WireGuard and its source address says which node sent it:
 *
 *   GET /state?epoch=N   the asking node's own envelope, once its epoch
 *                        is above N: at once if it already is, else the
 *                        request is held until publish writes a newer one
 *                        (inotify on the store) or CTL_POLL_SECONDS pass
 *                        (204). An address that is no node's, or a
 *                        revoked node's (the index's "revoked"), 403; a
 *                        request held when its node is revoked too.
 *   POST /applied        the agent's report, {"epoch": N, "peers": [...]}
 *                        (ctl_report.h: its peers' handshake ages), read
 *                        strictly and recorded with the node's name and
 *                        the time in DIR/reports/NODE.json (0600, atomic).
 *
 * serve never opens or checks an envelope: the agents do. One thread per
 * connection (libmicrohttpd's), each held request waiting on one
 * condition variable that a store change broadcasts.
 *
 * Ownership: struct server lives in cmd_serve(); its lock covers nodes
 * and generation.
 */
#include "cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "ctl.h"
#include "ctl_report.h"
#include "serve_join.h"
#include "txn.h"

#define SERVE_MAX_BODY CTL_MAX_REPORT

struct serve_node {
	char name[LW_NAME_MAX + 1];
	struct lw_prefix addrs[LW_FAMILIES];
	size_t n_addrs;
	bool revoked; /* lanwire revoke: refused, never served again */
};

struct server {
	const char *store, *hub;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	unsigned long generation; /* store changes seen */
	bool stopping;
	struct serve_node *nodes;
	size_t n_nodes;
};

/* A request's body, collected across calls (grown as it comes). */
struct request {
	char *body;
	size_t len;
	bool too_big;
};

/* ---- the index ---- */

static int read_addrs(json_t *a, struct lw_prefix *out, size_t *n)
{
	size_t i;
	json_t *v;

	*n = 0;
	json_array_foreach(a, i, v) {
		if (*n == LW_FAMILIES || !json_string_value(v) ||
		    addr_parse(&out[*n], json_string_value(v)))
			return -EINVAL;
		(*n)++;
	}
	return 0;
}

static int read_nodes(json_t *nodes, struct serve_node *v, bool revoked)
{
	json_t *e;
	size_t i;

	json_array_foreach(nodes, i, e) {
		const char *name = json_string_value(json_object_get(e, "name"));

		if (!name || strlen(name) > LW_NAME_MAX ||
		    read_addrs(json_object_get(e, "addrs"), v[i].addrs,
			       &v[i].n_addrs))
			return -EINVAL;
		snprintf(v[i].name, sizeof(v[i].name), "%s", name);
		v[i].revoked = revoked;
	}
	return 0;
}

/* Loads DIR/index.json into s->nodes, the revoked ones last (caller holds
 * s->lock). */
static int load_index(struct server *s)
{
	char path[4096];
	struct serve_node *v;
	json_t *root, *nodes, *revoked;
	size_t n;

	snprintf(path, sizeof(path), "%s/index.json", s->store);
	root = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
	nodes = json_object_get(root, "nodes");
	revoked = json_object_get(root, "revoked");
	n = json_array_size(nodes) + json_array_size(revoked);
	v = calloc(n ? n : 1, sizeof(*v));
	if (!root || !v || read_nodes(nodes, v, false) ||
	    read_nodes(revoked, v + json_array_size(nodes), true)) {
		json_decref(root);
		free(v);
		return -EINVAL;
	}
	free(s->nodes);
	s->nodes = v;
	s->n_nodes = n;
	json_decref(root);
	return 0;
}

/* The hub's tunnel address from the index, as text. */
static int hub_address(struct server *s, char *out, size_t size)
{
	size_t i;

	for (i = 0; i < s->n_nodes; i++) {
		if (strcmp(s->nodes[i].name, s->hub) || !s->nodes[i].n_addrs ||
		    s->nodes[i].revoked)
			continue;
		addr_format(out, size, &s->nodes[i].addrs[0]);
		return 0;
	}
	return -ENOENT;
}

/* The node whose tunnel address sa is (caller holds s->lock). */
static const struct serve_node *node_of(struct server *s,
					const struct sockaddr *sa)
{
	struct lw_prefix p = { 0 };
	size_t i, j;

	if (sa->sa_family == AF_INET) {
		p.family = AF_INET;
		p.len = 32;
		memcpy(p.addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		p.family = AF_INET6;
		p.len = 128;
		memcpy(p.addr, &((const struct sockaddr_in6 *)sa)->sin6_addr,
		       16);
	}
	for (i = 0; i < s->n_nodes; i++)
		for (j = 0; j < s->nodes[i].n_addrs; j++)
			if (prefix_equal(&s->nodes[i].addrs[j], &p))
				return &s->nodes[i];
	return NULL;
}

/* ---- watching the store ---- */

static void *watch_store(void *arg)
{
	struct server *s = arg;
	char buf[4096] __attribute__((aligned(8)));
	int fd = inotify_init1(IN_CLOEXEC);

	if (fd < 0 || inotify_add_watch(fd, s->store, IN_CLOSE_WRITE |
						IN_MOVED_TO | IN_DELETE) < 0) {
		fprintf(stderr, "lanwire serve: cannot watch %s: %s\n",
			s->store, strerror(errno));
		return NULL;
	}
	while (read(fd, buf, sizeof(buf)) > 0) {
		pthread_mutex_lock(&s->lock);
		if (load_index(s))
			fprintf(stderr, "lanwire serve: %s/index.json "
					"unreadable; keeping the last one\n",
				s->store);
		s->generation++;
		pthread_cond_broadcast(&s->changed);
		pthread_mutex_unlock(&s->lock);
	}
	close(fd);
	return NULL;
}

/* ---- answers ---- */

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned int code,
			      char *text, size_t len)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		len, text, text ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	enum MHD_Result r;

	if (!resp)
		return MHD_NO;
	r = MHD_queue_response(conn, code, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result answer_text(struct MHD_Connection *conn,
				   unsigned int code, const char *msg)
{
	char *t = strdup(msg);

	return answer(conn, code, t, t ? strlen(t) : 0);
}

/* The node's envelope if its epoch is above after; NULL otherwise. */
static char *newer_state(struct server *s, const char *node, uint64_t after,
			 size_t *len)
{
	char path[4096], *text = NULL;

	snprintf(path, sizeof(path), "%s/%s.state", s->store, node);
	if (lw_read_file(path, &text, len, CTL_MAX_ENVELOPE + 1))
		return NULL;
	if (ctl_envelope_peek_epoch(text, *len) > after)
		return text;
	free(text);
	return NULL;
}

/* Whether node is revoked or gone from the index (caller holds s->lock). */
static bool is_revoked(struct server *s, const char *node)
{
	size_t i;

	for (i = 0; i < s->n_nodes; i++)
		if (!strcmp(s->nodes[i].name, node))
			return s->nodes[i].revoked;
	return true;
}

static enum MHD_Result get_state(struct server *s, struct MHD_Connection *conn,
				 const char *node)
{
	const char *arg = MHD_lookup_connection_value(conn,
						      MHD_GET_ARGUMENT_KIND,
						      "epoch");
	uint64_t after = arg ? strtoull(arg, NULL, 10) : 0;
	struct timespec deadline;
	char *text;
	size_t len;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += CTL_POLL_SECONDS;
	pthread_mutex_lock(&s->lock);
	for (;;) {
		unsigned long gen = s->generation;

		pthread_mutex_unlock(&s->lock);
		text = newer_state(s, node, after, &len);
		if (text)
			return answer(conn, MHD_HTTP_OK, text, len);
		pthread_mutex_lock(&s->lock);
		while (gen == s->generation && !s->stopping)
			if (pthread_cond_timedwait(&s->changed, &s->lock,
						   &deadline) == ETIMEDOUT)
				break;
		if (gen == s->generation || s->stopping)
			break;
		if (is_revoked(s, node)) {
			pthread_mutex_unlock(&s->lock);
			return answer_text(conn, MHD_HTTP_FORBIDDEN,
					   "revoked\n");
		}
	}
	pthread_mutex_unlock(&s->lock);
	return answer(conn, MHD_HTTP_NO_CONTENT, NULL, 0);
}

static enum MHD_Result post_applied(struct server *s,
				    struct MHD_Connection *conn,
				    const char *node, struct request *rq)
{
	char path[4096], *text = NULL, err[256];
	struct ctl_report rep = { 0 }; /* untouched by a refused parse */
	json_t *body = NULL;
	struct timespec now;
	struct lw_txn t;
	bool made;
	int r = rq->too_big ? ctl_fail(err, sizeof(err), -EMSGSIZE,
				       "over %u bytes", CTL_MAX_REPORT) :
			      ctl_report_parse(&rep, rq->body ? rq->body : "",
					       rq->len, false, err,
					       sizeof(err));

	clock_gettime(CLOCK_REALTIME, &now);
	if (r) {
		printf("serve: %s sent a bad report (%s); not recorded\n", node,
		       err);
	} else {
		snprintf(path, sizeof(path), "%s/reports", s->store);
		lw_mkdir_private(path, &made);
		snprintf(path, sizeof(path), "%s/reports/%s.json", s->store,
			 node);
		snprintf(rep.node, sizeof(rep.node), "%s", node);
		rep.at_ms = (uint64_t)now.tv_sec * 1000 +
			    (uint64_t)now.tv_nsec / 1000000;
		body = ctl_report_json(&rep, true);
		text = body ? json_dumps(body, JSON_SORT_KEYS) : NULL;
		txn_init(&t);
		r = text ? txn_add(&t, path, text, strlen(text), 0600, false) :
			   -ENOMEM;
		if (!r)
			r = txn_commit(&t);
		txn_free(&t);
	}
	if (!r)
		printf("serve: %s applied epoch %llu (%zu peers)\n", node,
		       (unsigned long long)rep.epoch, rep.n_peers);
	ctl_report_free(&rep);
	fflush(stdout);
	free(text);
	json_decref(body);
	return answer_text(conn, r ? MHD_HTTP_BAD_REQUEST : MHD_HTTP_OK,
			   r ? "bad report\n" : "ok\n");
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *data,
			      size_t *data_size, void **con_cls)
{
	struct server *s = cls;
	struct request *rq = *con_cls;
	const union MHD_ConnectionInfo *ci;
	const struct serve_node *n;
	char node[LW_NAME_MAX + 1];
	bool revoked;

	if (!rq) {
		*con_cls = rq = calloc(1, sizeof(*rq));
		return rq ? MHD_YES : MHD_NO;
	}
	if (*data_size) {
		size_t take = *data_size;

		char *grown = NULL;

		if (rq->len + take > SERVE_MAX_BODY) {
			rq->too_big = true;
			take = 0;
		} else {
			grown = realloc(rq->body, rq->len + take + 1);
			rq->too_big |= !grown;
		}
		if (grown) {
			rq->body = grown;
			memcpy(rq->body + rq->len, data, take);
			rq->len += take;
		}
		*data_size = 0;
		return MHD_YES;
	}
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	pthread_mutex_lock(&s->lock);
	n = ci ? node_of(s, ci->client_addr) : NULL;
	if (n)
		snprintf(node, sizeof(node), "%s", n->name);
	revoked = n && n->revoked;
	pthread_mutex_unlock(&s->lock);
	if (!n)
		return answer_text(conn, MHD_HTTP_FORBIDDEN,
				   "not a node of this network\n");
	if (revoked) {
		printf("serve: refused revoked node %s\n", node);
		fflush(stdout);
		return answer_text(conn, MHD_HTTP_FORBIDDEN, "revoked\n");
	}
	if (!strcmp(method, "GET") && !strcmp(url, "/state"))
		return get_state(s, conn, node);
	if (!strcmp(method, "POST") && !strcmp(url, "/applied"))
		return post_applied(s, conn, node, rq);
	if (!strcmp(method, "POST") && !strcmp(url, "/join")) {
		char msg[600];
		unsigned int code = rq->too_big ? 413 :
			serve_join(s->store, node, rq->body, rq->len, msg,
				   sizeof(msg));

		crypto_wipe(rq->body, sizeof(rq->body));
		return answer_text(conn, code, code == 413 ? "too big\n" : msg);
	}
	return answer_text(conn, MHD_HTTP_NOT_FOUND, "no such resource\n");
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode code)
{
	struct request *rq = *con_cls;

	if (rq)
		free(rq->body);
	free(rq);
	*con_cls = NULL;
}

/* ---- the command ---- */

static struct MHD_Daemon *start(struct server *s, const char *listen)
{
	struct sockaddr_in6 sa6 = { .sin6_family = AF_INET6,
				    .sin6_port = htons(CTL_PORT) };
	struct sockaddr_in sa4 = { .sin_family = AF_INET,
				   .sin_port = htons(CTL_PORT) };
	const struct sockaddr *sa = (struct sockaddr *)&sa4;
	/* poll(), not select(): with select() libmicrohttpd refuses every
	 * connection whose descriptor is past FD_SETSIZE (1024), which a hub
	 * of about 1,000 agents reaches (bench/ctlscale.sh). */
	unsigned int flags = MHD_USE_THREAD_PER_CONNECTION |
			     MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
			     MHD_USE_ERROR_LOG;

	if (inet_pton(AF_INET6, listen, &sa6.sin6_addr) == 1) {
		sa = (struct sockaddr *)&sa6;
		flags |= MHD_USE_IPv6;
	} else if (inet_pton(AF_INET, listen, &sa4.sin_addr) != 1) {
		return NULL;
	}
	return MHD_start_daemon(
		flags, CTL_PORT, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR,
		sa, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
		MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned int)(CTL_POLL_SECONDS + 30),
		MHD_OPTION_CONNECTION_LIMIT, 4096u,
		MHD_OPTION_THREAD_STACK_SIZE, (size_t)(256 * 1024),
		MHD_OPTION_END);
}

int cmd_serve(int argc, char *argv[], struct cli *c)
{
	static const struct option opts[] = {
		COMMON_OPTS,
		{ "store", required_argument, NULL, 's' },
		{ "listen", required_argument, NULL, 'l' },
		{ 0 }
	};
	struct server s = { .lock = PTHREAD_MUTEX_INITIALIZER,
			    .changed = PTHREAD_COND_INITIALIZER };
	const char *listen = NULL;
	char addr[LW_PREFIX_STRLEN];
	struct MHD_Daemon *daemon;
	pthread_t watcher;
	sigset_t set;
	int ch, sig;

	while ((ch = getopt_long(argc, argv, "f:k:h", opts, NULL)) != -1) {
		if (ch == 'h')
			return cli_help("serve");
		if (ch == 's')
			s.store = optarg;
		else if (ch == 'l')
			listen = optarg;
		else if (!cli_common_opt(c, ch))
			return cli_usage_error("serve", "unknown option");
	}
	if (!s.store || optind != argc - 1)
		return cli_usage_error("serve", "name the hub and --store DIR");
	s.hub = argv[optind];
	if (load_index(&s))
		return cli_fail("cannot read %s/index.json: run lanwire publish "
				"--store %s first",
				s.store, s.store);
	if (!listen && hub_address(&s, addr, sizeof(addr)))
		return cli_fail("%s is not a node of the published network",
				s.hub);
	listen = listen ? listen : addr;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	daemon = start(&s, listen);
	if (!daemon)
		return cli_fail("cannot listen on %s port %d (is %s up?)",
				listen, CTL_PORT, s.hub);
	if (pthread_create(&watcher, NULL, watch_store, &s) == 0)
		pthread_detach(watcher);
	serve_join_start(s.store); /* invitations' bootstrap keys */
	printf("serve: %s listening on %s port %d, store %s\n", s.hub, listen,
	       CTL_PORT, s.store);
	fflush(stdout);
	sigwait(&set, &sig);
	pthread_mutex_lock(&s.lock);
	s.stopping = true;
	pthread_cond_broadcast(&s.changed);
	pthread_mutex_unlock(&s.lock);
	MHD_stop_daemon(daemon);
	free(s.nodes);
	return 0;
}
