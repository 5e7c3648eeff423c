// SPDX-License-Identifier: MIT
/*
 * lanwire agent NODE (ctl.h, docs/control.md): keeps this node at the
 * state the admin last published. It holds one request open to a hub's
 * serve (libcurl, through the tunnel: GET /state?epoch=N), so a new
 * state arrives the moment it is published; verifies it (signature with
 * the network key, network and node names, an epoch above the one
 * applied, ctl_envelope_parse()), opens its preshared keys with this
 * node's private key and applies it with apply_up(), the code lanwire up
 * runs: only what differs changes, unchanged peers keep their sessions
 * and roamed endpoints. Then it keeps the envelope as the last good state
 * (STATE_DIR/NODE.state, 0600, atomic) and reports the epoch to the hub
 * with its peers' handshake ages, endpoints and transfer as the UAPI
 * socket tells them (POST /applied, ctl_report.h); again each time a
 * long poll ends with nothing new (every CTL_POLL_SECONDS), so the
 * admin's `lanwire status --store` sees handshake ages that fresh.
 *
 * A key rotation (ctl_switch.h; its steps in cli_agent_rotate.c) is
 * applied in steps: the state as it must be now, then the long poll is
 * cut at the next step's time and the last good state applied again.
 *
 * Faults: a state refused is logged and changes nothing; a state that
 * fails to apply is logged, the last good one is applied again and kept;
 * a hub that does not answer is left for the next (the hubs named in
 * the state, then --hub); with no hub at all the node keeps running as
 * it is. At start the last good state is applied again (after a reboot).
 *
 * Ownership: struct agent lives in cmd_agent(); it owns the last good
 * envelope's text and the private key (wiped at exit).
 */
#include "cli.h"
#include "cli_agent.h"

#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "crypto.h"
#include "ctl.h"
#include "ctl_report.h"
#include "ctl_rotate.h"
#include "key.h"
#include "keys.h"
#include "status.h"
#include "uapi_names.h"
#include "txn.h"

/* poll_hub(): the long poll was cut for a rotation step. */
#define POLL_STEP (-1)

/* A response body, capped. */
struct body {
	char *text;
	size_t len;
	bool too_big;
};

uint64_t agent_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void agent_say(const struct agent *a, const char *fmt, ...)
{
	va_list ap;

	printf("agent %s: ", a->node);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* ---- applying ---- */

static void add_hub(struct agent *a, const char *addr)
{
	size_t i;

	for (i = 0; i < a->n_hubs; i++)
		if (!strcmp(a->hubs[i], addr))
			return;
	if (a->n_hubs < AGENT_MAX_HUBS)
		snprintf(a->hubs[a->n_hubs++], LW_PREFIX_STRLEN, "%s", addr);
}

/* Applies a verified envelope. 0 or 1 (logged). */
static int apply_envelope(struct agent *a, const struct ctl_envelope *e)
{
	uint8_t next[LW_KEY_LEN];
	char next_path[4096];
	bool rotating = false;
	char err[512], *daemon = a->daemon ? strdup(a->daemon) :
					     apply_default_daemon(NULL);
	struct lw_apply o = { a->run_dir, daemon, NULL, "the signed state",
			      stderr, -1, a->user, stdout };
	struct ctl_plan cp;
	uint64_t step = 0;
	size_t i;
	int r;

	if (!daemon)
		return 1;
	r = ctl_state_plan(&cp, e->state, a->network, a->node, a->priv,
			   a->key_path, err, sizeof(err));
	if (r && !agent_plan_with_next(a, e, &cp, next, next_path,
				       sizeof(next_path), &rotating))
		r = 0;
	if (r && a->has_boot &&
	    !ctl_state_plan(&cp, e->state, a->network, a->node, a->boot,
			    a->key_path, err, sizeof(err))) {
		r = 0; /* the interface keeps the node's own key */
		x25519_public_from_private(cp.desc.nodes[0].public_key,
					   a->priv);
	}
	if (r) {
		agent_say(a, "epoch %llu refused: %s", (unsigned long long)e->epoch,
		    err);
		free(daemon);
		return 1;
	}
	if (rotating && cp.switch_at > agent_now_ms()) {
		step = cp.switch_at;
		rotating = false;
		r = agent_keep_key_until_switch(a, &cp);
	}
	r = r ? 1 : agent_apply_phase(a, &cp, &o, step);
	if (rotating && !r)
		agent_promote_next(a, next);
	crypto_wipe(next, sizeof(next));
	if (!r) {
		snprintf(a->iface, sizeof(a->iface), "%s", cp.pl.iface);
		a->n_hubs = a->n_given;
		for (i = 0; i < cp.n_hubs; i++) {
			addr_format(err, LW_PREFIX_STRLEN, &cp.hubs[i]);
			add_hub(a, err);
		}
	}
	ctl_plan_free(&cp);
	free(daemon);
	return r;
}

static int save_good(struct agent *a, const char *text)
{
	char path[4096];
	struct lw_txn t;
	int r;

	snprintf(path, sizeof(path), "%s/%s.state", a->state_dir, a->node);
	txn_init(&t);
	r = txn_add(&t, path, text, strlen(text), 0600, false);
	if (!r)
		r = txn_commit(&t);
	txn_free(&t);
	if (r)
		agent_say(a, "cannot keep %s: %s", path, strerror(-r));
	return r;
}

/* The last good state back on the interface: after a failed apply, or
 * at a rotation step (why). */
static void apply_good_again(struct agent *a, const char *why)
{
	struct ctl_envelope e;
	char err[256];

	if (!a->good || ctl_envelope_parse(&e, a->good, strlen(a->good), a->pub,
					   a->network, a->node, 0, err,
					   sizeof(err)))
		return;
	agent_say(a, "applying epoch %llu again%s", (unsigned long long)e.epoch,
	    why);
	apply_envelope(a, &e);
	ctl_envelope_free(&e);
}

/* A state text as received: verified, applied, kept. 0 when applied. */
static int take_state(struct agent *a, char *text, size_t len,
		      const char *from)
{
	struct ctl_envelope e;
	uint64_t t0 = agent_now_ms();
	char err[512];
	int r = ctl_envelope_parse(&e, text, len, a->pub, a->network, a->node,
				   a->epoch, err, sizeof(err));

	if (r) {
		agent_say(a, "refused a state from %s: %s; nothing changed", from,
		    err);
		return 1;
	}
	r = apply_envelope(a, &e);
	if (r) {
		agent_say(a, "epoch %llu from %s not applied; keeping epoch %llu",
		    (unsigned long long)e.epoch, from,
		    (unsigned long long)a->epoch);
		apply_good_again(a, "");
	} else {
		a->epoch = e.epoch;
		free(a->good);
		a->good = strndup(text, len);
		save_good(a, a->good ? a->good : "");
		agent_say(a, "epoch %llu applied at %llu ms (%llu ms to apply)",
		    (unsigned long long)e.epoch, (unsigned long long)agent_now_ms(),
		    (unsigned long long)(agent_now_ms() - t0));
	}
	ctl_envelope_free(&e);
	return r;
}

/* A rotation step that is due. */
static void take_step(struct agent *a)
{
	if (!a->step_at || agent_now_ms() < a->step_at)
		return;
	a->step_at = 0;
	apply_good_again(a, " (key rotation step)");
}

/* ---- talking to hubs ---- */

static size_t collect(char *ptr, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t len = size * n;
	char *grown;

	if (b->len + len > CTL_MAX_ENVELOPE) {
		b->too_big = true;
		return 0; /* libcurl stops the transfer */
	}
	grown = realloc(b->text, b->len + len + 1);
	if (!grown)
		return 0;
	b->text = grown;
	memcpy(b->text + b->len, ptr, len);
	b->len += len;
	b->text[b->len] = '\0';
	return len;
}

static void url_of(char *url, size_t size, const char *hub, const char *path)
{
	snprintf(url, size, strchr(hub, ':') ? "http://[%s]:%d%s" :
					       "http://%s:%d%s",
		 hub, CTL_PORT, path);
}

/* How long a long poll may last: cut at a rotation step. */
static long poll_ms(const struct agent *a)
{
	long ms = (CTL_POLL_SECONDS + 15) * 1000L;
	uint64_t now = agent_now_ms();

	if (a->step_at && a->step_at < now + (uint64_t)ms)
		ms = a->step_at > now ? (long)(a->step_at - now) : 1;
	return ms;
}

/* One long poll to hub: 200 (state in b), 204, POLL_STEP (cut for a
 * rotation step), or 0 when unreachable. */
static long poll_hub(struct agent *a, const char *hub, struct body *b)
{
	char url[256], path[64];
	CURL *curl = curl_easy_init();
	CURLcode res;
	long code = 0;

	if (!curl)
		return 0;
	snprintf(path, sizeof(path), "/state?epoch=%llu",
		 (unsigned long long)a->epoch);
	url_of(url, sizeof(url), hub, path);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 3L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, poll_ms(a));
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http");
	res = curl_easy_perform(curl);
	if (res == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	else if (b->too_big)
		code = 413;
	else if (res == CURLE_OPERATION_TIMEDOUT && a->step_at &&
		 agent_now_ms() >= a->step_at)
		code = POLL_STEP;
	curl_easy_cleanup(curl);
	return code;
}

static void report(struct agent *a, const char *hub)
{
	char url[256], *body;
	struct body answer = { 0 };
	CURL *curl;

	if (!a->epoch)
		return;
	body = ctl_report_text(a->epoch, a->iface, agent_now_ms() / 1000);
	curl = body ? curl_easy_init() : NULL;
	if (!curl) {
		free(body);
		return;
	}
	url_of(url, sizeof(url), hub, "/applied");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 5L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
	if (curl_easy_perform(curl) != CURLE_OK)
		agent_say(a, "could not report epoch %llu to %s",
		    (unsigned long long)a->epoch, hub);
	curl_easy_cleanup(curl);
	free(answer.text);
	free(body);
}

/* Asks hub until it fails; false then (the next hub is tried). */
static bool follow_hub(struct agent *a, const char *hub)
{
	for (;;) {
		struct body b = { 0 };
		long code;

		take_step(a);
		code = poll_hub(a, hub, &b);
		if (code == POLL_STEP) {
			free(b.text);
			continue;
		}
		if (code == 200) {
			if (!take_state(a, b.text, b.len, hub))
				report(a, hub);
			else
				sleep(AGENT_RETRY_SECONDS);
		} else if (code == 204) {
			report(a, hub); /* fresh handshake ages */
		} else if (code != 204 && !a->hub_lost) {
			agent_say(a, "hub %s: %s; trying the others every second "
			       "(said once)",
			    hub,
			    code == 413 ? "state over 1 MiB refused" :
			    code == 403 ? "refused this node (403: revoked?)" :
			    code ? "refused the request" : "unreachable");
		}
		a->hub_lost = code != 200 && code != 204;
		free(b.text);
		if (a->once && (code == 200 || code == 204))
			return true;
		if (code != 200 && code != 204)
			return false;
	}
}

static void run(struct agent *a)
{
	size_t i;

	for (;;) {
		for (i = 0; i < a->n_hubs; i++)
			if (follow_hub(a, a->hubs[i]) && a->once)
				return;
		if (a->once)
			return;
		take_step(a);
		sleep(1);
	}
}

/* ---- start ---- */

static int load_private(const char *path, uint8_t key[static LW_KEY_LEN])
{
	char *text = NULL;
	size_t len;
	int r = lw_read_file(path, &text, &len, 256);

	if (r)
		return cli_fail("cannot read %s: %s", path, strerror(-r));
	text[strcspn(text, "\n")] = '\0';
	r = key_from_base64(key, text);
	crypto_wipe(text, len);
	free(text);
	return r ? cli_fail("%s holds no private key", path) : 0;
}

/* The last good state, applied again (it is what this node should be). */
static void load_good(struct agent *a)
{
	char path[4096], err[512], *text = NULL;
	struct ctl_envelope e;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s.state", a->state_dir, a->node);
	if (lw_read_file(path, &text, &len, CTL_MAX_ENVELOPE + 1))
		return;
	if (ctl_envelope_parse(&e, text, len, a->pub, a->network, a->node, 0,
			       err, sizeof(err))) {
		agent_say(a, "ignoring %s: %s", path, err);
		free(text);
		return;
	}
	a->good = text;
	a->epoch = e.epoch;
	agent_say(a, "last good state: epoch %llu", (unsigned long long)e.epoch);
	apply_envelope(a, &e);
	ctl_envelope_free(&e);
}

static int parse_agent_opts(int argc, char *argv[], struct cli *c,
			    struct agent *a, const char **pub_path)
{
	static const struct option opts[] = {
		COMMON_OPTS,
		{ "network-key", required_argument, NULL, 'N' },
		{ "key", required_argument, NULL, 'K' },
		{ "hub", required_argument, NULL, 'H' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "run-dir", required_argument, NULL, 'R' },
		{ "user", required_argument, NULL, 'u' },
		{ "daemon", required_argument, NULL, 'D' },
		{ "once", no_argument, NULL, '1' },
		{ "bootstrap-key", required_argument, NULL, 'B' },
		{ 0 }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "f:k:h", opts, NULL)) != -1) {
		if (ch == 'h')
			return cli_help("agent") - 1;
		else if (ch == 'N')
			*pub_path = optarg;
		else if (ch == 'K')
			a->key_path = optarg;
		else if (ch == 'H')
			add_hub(a, optarg);
		else if (ch == 'S')
			a->state_dir = optarg;
		else if (ch == 'R')
			a->run_dir = optarg;
		else if (ch == 'u')
			a->user = optarg;
		else if (ch == 'D')
			a->daemon = optarg;
		else if (ch == '1')
			a->once = true;
		else if (ch == 'B')
			a->boot_path = optarg;
		else if (!cli_common_opt(c, ch))
			return cli_usage_error("agent", "unknown option");
	}
	if (optind != argc - 1 || !*pub_path || !a->key_path)
		return cli_usage_error("agent", "name the node, --network-key "
						"and --key");
	a->node = argv[optind];
	a->n_given = a->n_hubs;
	return 0;
}

int cmd_agent(int argc, char *argv[], struct cli *c)
{
	struct agent a = { .state_dir = "/var/lib/lanwire",
			   .run_dir = LW_RUN_DIR,
			   .user = LW_DEFAULT_USER };
	const char *pub_path = NULL;
	char err[512];
	bool made;
	int r = parse_agent_opts(argc, argv, c, &a, &pub_path);

	if (r)
		return r < 0 ? 0 : r;
	if (geteuid())
		return cli_fail("agent must run as root: it applies state as "
				"lanwire up does");
	if (ctl_pub_load(pub_path, &a.pub, a.network, sizeof(a.network), err,
			 sizeof(err)))
		return cli_fail("%s", err);
	r = load_private(a.key_path, a.priv);
	if (!r && a.boot_path) {
		r = load_private(a.boot_path, a.boot);
		a.has_boot = !r;
	}
	if (!r && lw_mkdir_private(a.state_dir, &made))
		r = cli_fail("cannot make %s", a.state_dir);
	if (!r) {
		signal(SIGPIPE, SIG_IGN);
		curl_global_init(CURL_GLOBAL_DEFAULT);
		load_good(&a);
		if (!a.n_hubs)
			r = cli_fail("no hub to ask: give --hub ADDR (a hub's "
				     "tunnel address)");
		else
			run(&a);
		curl_global_cleanup();
	}
	crypto_wipe(a.priv, sizeof(a.priv));
	crypto_wipe(a.boot, sizeof(a.boot));
	EVP_PKEY_free(a.pub);
	free(a.good);
	return r;
}
