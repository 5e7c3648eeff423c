// SPDX-License-Identifier: MIT
/*
 * lanwire join TOKEN (ctl_join.h, docs/control.md "Joining a node"), on
 * the new machine, as root:
 *
 *   1. the token is parsed and its expiry checked: a bad or expired
 *      token is refused here and nothing changes;
 *   2. the interface comes up with the invitation's bootstrap key and the
 *      hub as its one peer (lanwire up's apply_up(), from a state made
 *      here out of the token);
 *   3. the node makes its own key pair and sends {secret, public key} to
 *      the hub's serve through that tunnel (POST /join); a refusal (redeemed
 *      already, expired, revoked or unknown) is printed, the interface is
 *      taken down again and nothing is kept;
 *   4. the interface switches to the node's own key (the hub already
 *      has it), fetches the node's signed state (GET /state, verified with
 *      the network key the token carries) and applies it: routes, policy,
 *      every peer;
 *   5. the private key (--key, 0600), the network key (control.pub),
 *      the bootstrap key (which opens the state published at invite time
 *      until the admin publishes again) and the state are kept in the
 *      state directory, and the agent starts: in the background (log in
 *      STATE_DIR/agent-NODE.log), in this process (--foreground), or not
 *      at all (--no-agent).
 *
 * The token is read from the command line, a file (--token-file) or
 * standard input ("-"); it is never printed or logged, and wiped.
 *
 * Ownership: struct join lives in cmd_join(); it owns the token and keys
 * (wiped at the end).
 */
#include "cli.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "crypto.h"
#include "ctl.h"
#include "ctl_join.h"
#include "keys.h"
#include "proc.h"
#include "txn.h"

#define JOIN_TIMEOUT_SECONDS 20
/* serve swaps the keys about 150 ms after answering (cli_serve_join.c) */
#define JOIN_SWITCH_MS 250

struct join {
	const char *state_dir, *key_path, *run_dir, *daemon, *user,
		*token_file, *iface;
	char *token_text;
	bool no_agent, foreground;
	long timeout;
	struct ctl_token tok;
	uint8_t boot_pub[LW_KEY_LEN];
	uint8_t priv[LW_KEY_LEN], pub[LW_KEY_LEN]; /* the node's own */
	char key_buf[4096], boot_path[4096], pub_path[4096];
	struct lw_apply o;
	char *daemon_path;
};

struct body {
	char *text;
	size_t len;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- talking to the hub ---- */

static size_t collect(char *ptr, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t len = size * n;
	char *grown;

	if (b->len + len > CTL_MAX_ENVELOPE)
		return 0;
	grown = realloc(b->text, b->len + len + 1);
	if (!grown)
		return 0;
	b->text = grown;
	memcpy(b->text + b->len, ptr, len);
	b->len += len;
	b->text[b->len] = '\0';
	return len;
}

/* One request to the hub's serve: the HTTP code, 0 when unreachable. */
static long request(const struct join *j, const char *path, const char *post,
		    struct body *b)
{
	char url[256];
	CURL *curl = curl_easy_init();
	long code = 0;

	if (!curl)
		return 0;
	snprintf(url, sizeof(url),
		 strchr(j->tok.hub_addr, ':') ? "http://[%s]:%d%s" :
						"http://%s:%d%s",
		 j->tok.hub_addr, CTL_PORT, path);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, post ? 10L : 2L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http");
	if (post)
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, post);
	if (curl_easy_perform(curl) == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(curl);
	return code;
}

/* Asks until the hub answers or the time is up (the first handshake
 * takes a moment). */
static long ask(const struct join *j, const char *path, const char *post,
		struct body *b, uint64_t deadline)
{
	long code;

	for (;;) {
		free(b->text);
		b->text = NULL;
		b->len = 0;
		code = request(j, path, post, b);
		if (code || now_ms() >= deadline)
			return code;
		usleep(100 * 1000);
	}
}

/* ---- the interface ---- */

/* The bootstrap state: the hub as the one peer, made from the token. */
static json_t *bootstrap_state(struct join *j)
{
	const struct ctl_token *t = &j->tok;
	char pub[LW_KEY_B64_LEN + 1], hub[LW_KEY_B64_LEN + 1],
		ctx[3 * LW_NAME_MAX + 8], allowed[LW_PREFIX_STRLEN + 4];
	json_t *peer, *st;
	char *sealed = NULL;

	key_to_base64(pub, j->boot_pub);
	key_to_base64(hub, t->hub_pub);
	snprintf(allowed, sizeof(allowed), "%s/%d", t->hub_addr,
		 strchr(t->hub_addr, ':') ? 128 : 32);
	peer = json_pack("{s:s, s:s, s:i, s:s, s:[s]}", "name", t->hub,
			 "public_key", hub, "keepalive", 25, "endpoint",
			 t->endpoint, "allowed_ips", allowed);
	if (peer && t->has_psk) {
		snprintf(ctx, sizeof(ctx), "%s/%s/%s", t->network, t->node,
			 t->hub);
		sealed = ctl_seal(t->psk, j->boot_pub, ctx);
		if (!sealed ||
		    json_object_set_new(peer, "psk", json_string(sealed))) {
			free(sealed);
			json_decref(peer);
			return NULL;
		}
		free(sealed);
	}
	st = json_pack("{s:s, s:i, s:i, s:s, s:[s], s:[], s:[], s:s, s:[s], "
		       "s:[o]}",
		       "iface", t->iface, "mtu", 1420, "listen_port", 0,
		       "public_key", pub, "addrs", t->addr, "routes", "sysctls",
		       "nft", "", "hubs", t->hub_addr, "peers", peer);
	return st;
}

/* Applies a state read with key `opener` (it names that key and its
 * preshared keys are sealed to it) on the interface with key `use`. */
static int apply_state(struct join *j, const json_t *st, const uint8_t *opener,
		       const uint8_t *use, char *err, size_t errlen)
{
	struct ctl_plan cp;
	int r = ctl_state_plan(&cp, st, j->tok.network, j->tok.node, opener,
			       j->key_path, err, errlen);

	if (r)
		return r;
	if (j->iface) /* --interface: another name here than planned */
		snprintf(cp.pl.iface, sizeof(cp.pl.iface), "%s", j->iface);
	cp.pl.has_private_key = true;
	memcpy(cp.pl.private_key, use, LW_KEY_LEN);
	x25519_public_from_private(cp.desc.nodes[0].public_key, use);
	r = apply_up(&cp.pl, &j->o) ? -EIO : 0;
	if (r)
		ctl_fail(err, errlen, r, "applying it failed (above)");
	ctl_plan_free(&cp);
	return r;
}

static void take_down(struct join *j, const json_t *boot)
{
	struct ctl_plan cp;
	char err[256];

	if (ctl_state_plan(&cp, boot, j->tok.network, j->tok.node,
			   j->tok.boot_priv, j->key_path, err, sizeof(err)))
		return;
	if (j->iface)
		snprintf(cp.pl.iface, sizeof(cp.pl.iface), "%s", j->iface);
	apply_down(&cp.pl, &j->o);
	ctl_plan_free(&cp);
}

/* ---- the steps ---- */

static int redeem(struct join *j, uint64_t deadline)
{
	char secret[LW_KEY_B64_LEN + 1], pub[LW_KEY_B64_LEN + 1], *post = NULL;
	struct body b = { 0 };
	long code;

	key_to_base64(secret, j->tok.secret);
	key_to_base64(pub, j->pub);
	if (asprintf(&post, "{\"secret\": \"%s\", \"public_key\": \"%s\"}",
		     secret, pub) < 0)
		post = NULL;
	crypto_wipe(secret, sizeof(secret));
	code = post ? ask(j, "/join", post, &b, deadline) : 0;
	if (post) {
		crypto_wipe(post, strlen(post));
		free(post);
	}
	if (code == 200) {
		free(b.text);
		return 0;
	}
	if (code)
		cli_fail("hub %s refused the invitation: %s", j->tok.hub,
			 b.text ? b.text : "(no reason)");
	else
		cli_fail("hub %s did not answer through the invitation's "
			 "tunnel (%s, port %d) within %ld s: the invitation "
			 "was redeemed already, expired or revoked, or the hub "
			 "is not reachable",
			 j->tok.hub, j->tok.endpoint, CTL_PORT, j->timeout);
	free(b.text);
	return 1;
}

/* The node's signed state from the hub, verified and applied. */
static int fetch_state(struct join *j, uint64_t deadline, char **text)
{
	struct ctl_envelope e;
	struct body b = { 0 };
	char err[512];
	EVP_PKEY *pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
						    j->tok.network_pub, 32);
	long code = ask(j, "/state?epoch=0", NULL, &b, deadline);
	int r;

	if (code != 200 || !pub) {
		EVP_PKEY_free(pub);
		free(b.text);
		return cli_fail("hub %s gave no state for %s (HTTP %ld)",
				j->tok.hub, j->tok.node, code);
	}
	r = ctl_envelope_parse(&e, b.text, b.len, pub, j->tok.network,
			       j->tok.node, 0, err, sizeof(err));
	EVP_PKEY_free(pub);
	if (r) {
		free(b.text);
		return cli_fail("refused the state from hub %s: %s", j->tok.hub,
				err);
	}
	r = apply_state(j, e.state, j->tok.boot_priv, j->priv, err,
			sizeof(err));
	if (r && r != -EIO)
		cli_fail("%s", err);
	ctl_envelope_free(&e);
	if (r) {
		free(b.text);
		return 1;
	}
	*text = b.text;
	return 0;
}

/* Keys, network key and state into the state directory, atomically. */
static int keep(struct join *j, const char *state)
{
	char priv[LW_KEY_B64_LEN + 2], boot[LW_KEY_B64_LEN + 2], path[4096],
		*net_b64 = ctl_b64_encode(j->tok.network_pub, 32), *pubtext = NULL;
	struct lw_txn t;
	bool made;
	int r;

	if (!net_b64 || asprintf(&pubtext, "%s %s\n", j->tok.network,
				 net_b64) < 0) {
		free(net_b64);
		return cli_fail("out of memory");
	}
	key_to_base64(priv, j->priv);
	key_to_base64(boot, j->tok.boot_priv);
	strcat(priv, "\n");
	strcat(boot, "\n");
	snprintf(path, sizeof(path), "%s/%s.state", j->state_dir, j->tok.node);
	lw_mkdir_private(j->state_dir, &made);
	txn_init(&t);
	r = txn_add(&t, j->key_path, priv, strlen(priv), 0600, false);
	if (!r)
		r = txn_add(&t, j->boot_path, boot, strlen(boot), 0600, false);
	if (!r)
		r = txn_add(&t, j->pub_path, pubtext, strlen(pubtext), 0644,
			    false);
	if (!r)
		r = txn_add(&t, path, state, strlen(state), 0600, false);
	if (!r)
		r = txn_commit(&t);
	txn_free(&t);
	crypto_wipe(priv, sizeof(priv));
	crypto_wipe(boot, sizeof(boot));
	free(net_b64);
	free(pubtext);
	return r ? cli_fail("cannot write into %s", j->state_dir) : 0;
}

static int run_agent(struct join *j, struct cli *c)
{
	const char *argv[24] = { "agent", j->tok.node, "--network-key",
				 j->pub_path, "--key", j->key_path,
				 "--bootstrap-key", j->boot_path, "--hub",
				 j->tok.hub_addr, "--state-dir", j->state_dir,
				 "--run-dir", j->run_dir };
	int argc = 14, fd;
	char log[4200];
	pid_t pid;

	if (j->daemon)
		argv[argc++] = "--daemon", argv[argc++] = j->daemon;
	if (j->user)
		argv[argc++] = "--user", argv[argc++] = j->user;
	argv[argc] = NULL;
	optind = 0; /* getopt_long starts over for the agent's options */
	if (j->foreground)
		return cmd_agent(argc, (char **)argv, c);
	snprintf(log, sizeof(log), "%s/agent-%s.log", j->state_dir,
		 j->tok.node);
	pid = fork();
	if (pid < 0)
		return cli_fail("cannot start the agent: %s", strerror(errno));
	if (pid == 0) {
		setsid();
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		_exit(cmd_agent(argc, (char **)argv, c));
	}
	printf("agent started (pid %d, log %s); at boot: systemctl enable "
	       "lanwire-agent@%s (docs/control.md)\n",
	       (int)pid, log, j->tok.node);
	return 0;
}

/*
 * The interface takes the node's own key and the hub is asked through it
 * until it answers. A handshake that reached the hub before its swap is
 * not retried by WireGuard for 5 s (REKEY_TIMEOUT): so after a second
 * without an answer the hub's peer is removed and added again, which
 * starts a new handshake at once.
 */
static int switch_key(struct join *j, const json_t *boot, uint64_t deadline)
{
	char hub[LW_KEY_B64_LEN + 1], err[512];
	const char *del[] = { "wg", "set", j->iface ? j->iface : j->tok.iface,
			      "peer", hub, "remove",
			      NULL };
	struct lw_cmd c = { .out_fd = LW_CMD_QUIET };
	struct body b = { 0 };
	long code;

	key_to_base64(hub, j->tok.hub_pub);
	for (;;) {
		if (apply_state(j, boot, j->tok.boot_priv, j->priv, err,
				sizeof(err)))
			return 1;
		code = request(j, "/state?epoch=0", NULL, &b);
		free(b.text);
		b.text = NULL;
		b.len = 0;
		if (code == 200)
			return 0;
		if (now_ms() >= deadline)
			return cli_fail("hub %s took the key but does not "
					"answer through it", j->tok.hub);
		proc_run(&c, del);
	}
}

static int join_run(struct join *j, struct cli *c)
{
	uint64_t t0 = now_ms(), deadline = t0 + (uint64_t)j->timeout * 1000;
	char err[512], *state = NULL;
	json_t *boot;
	int r;

	x25519_public_from_private(j->boot_pub, j->tok.boot_priv);
	boot = bootstrap_state(j);
	if (!boot)
		return cli_fail("out of memory");
	if (key_generate_private(j->priv)) {
		json_decref(boot);
		return cli_fail("no random bytes for the node's key");
	}
	x25519_public_from_private(j->pub, j->priv);
	/* 2: up with the bootstrap key */
	r = apply_state(j, boot, j->tok.boot_priv, j->tok.boot_priv, err,
			sizeof(err));
	if (r) {
		take_down(j, boot);
		json_decref(boot);
		return r == -EIO ? 1 : cli_fail("%s", err);
	}
	/* 3: register the node's own key */
	r = redeem(j, deadline);
	if (r) {
		take_down(j, boot);
		json_decref(boot);
		return r;
	}
	printf("%s: registered its own public key with hub %s\n", j->tok.node,
	       j->tok.hub);
	/* 4: switch to it once the hub has (it swaps just after answering),
	 * then the signed state */
	usleep(JOIN_SWITCH_MS * 1000);
	r = switch_key(j, boot, now_ms() + (uint64_t)j->timeout * 1000);
	json_decref(boot);
	if (!r)
		r = fetch_state(j, now_ms() + (uint64_t)j->timeout * 1000,
				&state);
	/* 5: kept, and the agent */
	if (!r)
		r = keep(j, state);
	free(state);
	if (r)
		return r;
	printf("%s joined %s in %llu ms: up with its own key, state "
	       "applied\n",
	       j->tok.node, j->tok.network,
	       (unsigned long long)(now_ms() - t0));
	fflush(stdout);
	return j->no_agent ? 0 : run_agent(j, c);
}

static int read_token(struct join *j, const char *arg)
{
	char err[256], *text = NULL;
	size_t len;
	int r;

	if (j->token_file) {
		r = lw_read_file(j->token_file, &text, &len, CTL_TOKEN_MAX + 64);
		if (r)
			return cli_fail("cannot read %s: %s", j->token_file,
					strerror(-r));
		arg = text;
	} else if (!strcmp(arg, "-")) {
		len = CTL_TOKEN_MAX + 64;
		text = calloc(1, len + 1);
		if (!text)
			return cli_fail("out of memory");
		len = fread(text, 1, len, stdin);
		arg = text;
	}
	r = ctl_token_parse(&j->tok, arg, err, sizeof(err));
	if (text) {
		crypto_wipe(text, len);
		free(text);
	}
	return r ? cli_fail("%s; nothing changed", err) : 0;
}

/* A machine already in a network joins no other (its control.pub). */
static int same_network(struct join *j)
{
	char path[4096], network[LW_NAME_MAX + 1], err[256];
	EVP_PKEY *pub = NULL;

	snprintf(path, sizeof(path), "%s/%s", j->state_dir, CTL_PUB_FILE);
	if (access(path, F_OK))
		return 0;
	if (ctl_pub_load(path, &pub, network, sizeof(network), err,
			 sizeof(err)))
		return cli_fail("%s", err);
	EVP_PKEY_free(pub);
	if (strcmp(network, j->tok.network))
		return cli_fail("this machine is in network %s, not %s (%s); "
				"nothing changed",
				network, j->tok.network, path);
	return 0;
}

static int parse_join_opts(int argc, char *argv[], struct cli *c,
			   struct join *j)
{
	static const struct option opts[] = {
		COMMON_OPTS,
		{ "token-file", required_argument, NULL, 'T' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "key", required_argument, NULL, 'K' },
		{ "run-dir", required_argument, NULL, 'R' },
		{ "daemon", required_argument, NULL, 'D' },
		{ "user", required_argument, NULL, 'u' },
		{ "no-agent", no_argument, NULL, 'n' },
		{ "foreground", no_argument, NULL, 'F' },
		{ "timeout", required_argument, NULL, 't' },
		{ "interface", required_argument, NULL, 'I' },
		{ 0 }
	};
	char *end;
	int ch;

	while ((ch = getopt_long(argc, argv, "f:k:h", opts, NULL)) != -1) {
		if (ch == 'h')
			return cli_help("join") - 1;
		else if (ch == 'T')
			j->token_file = optarg;
		else if (ch == 'S')
			j->state_dir = optarg;
		else if (ch == 'K')
			j->key_path = optarg;
		else if (ch == 'R')
			j->run_dir = optarg;
		else if (ch == 'D')
			j->daemon = optarg;
		else if (ch == 'u')
			j->user = optarg;
		else if (ch == 'n')
			j->no_agent = true;
		else if (ch == 'I') {
			if (!*optarg || strlen(optarg) > LW_IFNAME_MAX)
				return cli_usage_error("join", "--interface "
							       "takes a name of "
							       "1 to 15 bytes");
			j->iface = optarg;
		}
		else if (ch == 'F')
			j->foreground = true;
		else if (ch == 't') {
			j->timeout = strtol(optarg, &end, 10);
			if (*end || j->timeout < 1 || j->timeout > 600)
				return cli_usage_error("join", "--timeout takes "
							       "1 to 600 s");
		} else if (!cli_common_opt(c, ch))
			return cli_usage_error("join", "unknown option");
	}
	if (j->no_agent && j->foreground)
		return cli_usage_error("join", "--no-agent or --foreground");
	if ((j->token_file != NULL) == (optind == argc - 1) ||
	    optind < argc - 1)
		return cli_usage_error("join", "give the token, \"-\" (read "
					       "from stdin) or --token-file FILE");
	return 0;
}

int cmd_join(int argc, char *argv[], struct cli *c)
{
	struct join j = { .state_dir = "/var/lib/lanwire",
			  .run_dir = LW_RUN_DIR,
			  .timeout = JOIN_TIMEOUT_SECONDS };
	int r = parse_join_opts(argc, argv, c, &j);

	if (r)
		return r < 0 ? 0 : r;
	r = read_token(&j, j.token_file ? NULL : argv[argc - 1]);
	if (!r && (uint64_t)time(NULL) >= j.tok.expires)
		r = cli_fail("the invitation for %s expired %llu s ago; ask "
			     "for a new one (lanwire invite %s); nothing "
			     "changed",
			     j.tok.node,
			     (unsigned long long)((uint64_t)time(NULL) -
						  j.tok.expires),
			     j.tok.node);
	if (!r)
		r = same_network(&j);
	if (!r && geteuid())
		r = cli_fail("join must run as root: it brings the interface "
			     "up as lanwire up does");
	if (!r) {
		if (!j.key_path) {
			snprintf(j.key_buf, sizeof(j.key_buf), "%s/%s.key",
				 j.state_dir, j.tok.node);
			j.key_path = j.key_buf;
		}
		snprintf(j.boot_path, sizeof(j.boot_path),
			 "%s/%s.bootstrap.key", j.state_dir, j.tok.node);
		snprintf(j.pub_path, sizeof(j.pub_path), "%s/%s", j.state_dir,
			 CTL_PUB_FILE);
		j.daemon_path = j.daemon ? strdup(j.daemon) :
					   apply_default_daemon(NULL);
		j.o = (struct lw_apply){ j.run_dir, j.daemon_path, NULL,
					 "the invitation", stderr, -1,
					 j.user ? j.user : LW_DEFAULT_USER,
					 stdout };
		curl_global_init(CURL_GLOBAL_DEFAULT);
		r = j.daemon_path ? join_run(&j, c) : cli_fail("out of memory");
		curl_global_cleanup();
	}
	free(j.daemon_path);
	ctl_token_wipe(&j.tok);
	crypto_wipe(j.priv, sizeof(j.priv));
	return r;
}
