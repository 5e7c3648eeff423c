// SPDX-License-Identifier: MIT
/*
 * bench/ctlscale: many simulated agents against one `lanwire serve`
 * (bench/ctlscale.sh, docs/bench.md), from one process with libcurl's
 * multi interface. Agent i sends from source address i (serve tells
 * nodes apart by source address, as it does through the tunnel), and
 * behaves as lanwire agent does on the wire: GET /state?epoch=N held
 * open until serve has a newer envelope, then POST /applied with its
 * report, then the next long poll. It does not verify or apply: the
 * figure is the hub's.
 *
 *   ctlscale HUB ADDRFILE
 *
 * ADDRFILE holds one source address a line. Lines on stdout:
 *   ready N EPOCH          every agent has its first envelope (EPOCH, the
 *                          lowest) and holds a request open again
 *   got N EPOCH FIRST LAST every agent has an envelope newer than that;
 *                          CLOCK_REALTIME ms of the first and last
 *   reported N LAST        every agent's report for it answered (ms)
 *   errors N               requests that failed (refused, reset, 4xx/5xx)
 * and exits 0 (1 on a failure to set up, or no progress for
 * CTLSCALE_IDLE_S seconds).
 */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define MAX_AGENTS 20000
#define MAX_BODY (1u << 20)

/* One simulated agent: its handle, what it has, where it is. Owned by
 * main()'s array. */
struct sim {
	CURL *h;
	char src[128];
	char *body;
	size_t len;
	uint64_t epoch;	  /* the newest envelope it got */
	uint64_t got_ms;  /* when it got one newer than the first */
	bool posting;	  /* the current request is the report */
	bool reported;	  /* its report for the new epoch answered */
	char post[64];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
	struct sim *s = arg;
	size_t len = size * n;
	char *grown;

	if (s->len + len > MAX_BODY)
		return 0;
	grown = realloc(s->body, s->len + len + 1);
	if (!grown)
		return 0;
	s->body = grown;
	memcpy(s->body + s->len, p, len);
	s->len += len;
	s->body[s->len] = '\0';
	return len;
}

static void start(CURLM *m, struct sim *s, const char *hub)
{
	char url[160], iface[80];

	s->len = 0;
	curl_easy_reset(s->h);
	snprintf(iface, sizeof(iface), "host!%s", s->src);
	curl_easy_setopt(s->h, CURLOPT_INTERFACE, iface);
	curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(s->h, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(s->h, CURLOPT_PRIVATE, s);
	curl_easy_setopt(s->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->h, CURLOPT_TIMEOUT, 120L);
	if (s->posting) {
		snprintf(url, sizeof(url), "http://%s:8471/applied", hub);
		snprintf(s->post, sizeof(s->post),
			 "{\"epoch\": %llu, \"peers\": []}",
			 (unsigned long long)s->epoch);
		curl_easy_setopt(s->h, CURLOPT_POSTFIELDS, s->post);
	} else {
		snprintf(url, sizeof(url), "http://%s:8471/state?epoch=%llu",
			 hub, (unsigned long long)s->epoch);
	}
	curl_easy_setopt(s->h, CURLOPT_URL, url);
	curl_multi_add_handle(m, s->h);
}

/* The envelope's epoch (jansson, as serve's peek does). */
static uint64_t epoch_of(const struct sim *s)
{
	json_t *o = json_loadb(s->body ? s->body : "", s->len, 0, NULL);
	json_int_t e = json_integer_value(json_object_get(o, "epoch"));

	json_decref(o);
	return e > 0 ? (uint64_t)e : 0;
}

static size_t read_addrs(const char *path, struct sim **out)
{
	FILE *f = fopen(path, "r");
	struct sim *v = calloc(MAX_AGENTS, sizeof(*v));
	char line[128];
	size_t n = 0;

	if (!f || !v) {
		if (f)
			fclose(f);
		free(v);
		return 0;
	}
	while (n < MAX_AGENTS && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0])
			continue;
		snprintf(v[n].src, sizeof(v[n].src), "%s", line);
		v[n].h = curl_easy_init();
		if (!v[n].h)
			break;
		n++;
	}
	fclose(f);
	*out = v;
	return n;
}

struct progress {
	size_t n, have_first, got, reported;
	uint64_t first_epoch, first_got, last_got, last_reported;
	unsigned long errors;
	bool said_ready, said_got, said_reported;
};

/* One finished transfer: what the agent does next. */
static void finished(CURLM *m, struct sim *s, CURLcode rc, const char *hub,
		     struct progress *p)
{
	long code = 0;
	uint64_t e;

	curl_multi_remove_handle(m, s->h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &code);
	if (s->posting) {
		if (code != 200)
			p->errors++;
		else if (!s->reported && s->got_ms) {
			s->reported = true;
			p->reported++;
			p->last_reported = now_ms();
		}
		s->posting = false;
	} else if (code == 200 && (e = epoch_of(s)) > s->epoch) {
		if (!s->epoch) {
			p->have_first++;
			if (!p->first_epoch || e < p->first_epoch)
				p->first_epoch = e;
		} else if (!s->got_ms && p->said_ready) {
			s->got_ms = now_ms();
			p->got++;
			if (!p->first_got)
				p->first_got = s->got_ms;
			p->last_got = s->got_ms;
		}
		s->epoch = e;
		s->posting = true;
	} else if (code != 204) {
		p->errors++;
	}
	start(m, s, hub);
}

static void say(struct progress *p)
{
	if (!p->said_ready && p->have_first == p->n) {
		p->said_ready = true;
		printf("ready %zu %llu\n", p->n,
		       (unsigned long long)p->first_epoch);
	}
	if (!p->said_got && p->got == p->n) {
		p->said_got = true;
		printf("got %zu %llu %llu %llu\n", p->n,
		       (unsigned long long)p->first_epoch,
		       (unsigned long long)p->first_got,
		       (unsigned long long)p->last_got);
	}
	if (!p->said_reported && p->reported == p->n) {
		p->said_reported = true;
		printf("reported %zu %llu\n", p->n,
		       (unsigned long long)p->last_reported);
		printf("errors %lu\n", p->errors);
	}
	fflush(stdout);
}

int main(int argc, char *argv[])
{
	struct rlimit rl = { 65536, 65536 };
	struct progress p = { 0 };
	const char *idle_env = getenv("CTLSCALE_IDLE_S");
	uint64_t idle_ms = (idle_env ? strtoull(idle_env, NULL, 10) : 120) * 1000;
	uint64_t last_change;
	struct sim *v = NULL;
	CURLM *m;
	size_t i, before;
	int running;

	if (argc != 3) {
		fprintf(stderr, "usage: ctlscale HUB ADDRFILE\n");
		return 2;
	}
	setrlimit(RLIMIT_NOFILE, &rl);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	m = curl_multi_init();
	p.n = read_addrs(argv[2], &v);
	if (!m || !p.n) {
		fprintf(stderr, "ctlscale: no agents (%s)\n", argv[2]);
		return 1;
	}
	curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)p.n + 16);
	for (i = 0; i < p.n; i++)
		start(m, &v[i], argv[1]);
	last_change = now_ms();
	while (!p.said_reported) {
		CURLMsg *msg;
		int left;

		before = p.have_first + p.got + p.reported;
		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left)))
			if (msg->msg == CURLMSG_DONE) {
				struct sim *s;

				curl_easy_getinfo(msg->easy_handle,
						  CURLINFO_PRIVATE, (char **)&s);
				finished(m, s, msg->data.result, argv[1], &p);
			}
		say(&p);
		if (p.have_first + p.got + p.reported != before)
			last_change = now_ms();
		else if (now_ms() - last_change > idle_ms)
			break;
		curl_multi_poll(m, NULL, 0, 200, NULL);
	}
	if (!p.said_reported)
		printf("stuck: %zu of %zu first, %zu got, %zu reported, "
		       "%lu errors\n",
		       p.have_first, p.n, p.got, p.reported, p.errors);
	for (i = 0; i < p.n; i++) {
		curl_multi_remove_handle(m, v[i].h);
		curl_easy_cleanup(v[i].h);
		free(v[i].body);
	}
	free(v);
	curl_multi_cleanup(m);
	curl_global_cleanup();
	return p.said_reported ? 0 : 1;
}
