// SPDX-License-Identifier: MIT
/*
 * serve's side of joining (ctl_join.h, docs/control.md "Joining a
 * node"): POST /join and the grant keeper, both on the hub.
 *
 *   POST /join {"secret": B64, "public_key": B64} from a node's tunnel
 *     address (so through WireGuard, with the invitation's bootstrap key):
 *     redeemed only against STORE/grants/NODE.json signed by the network
 *     key (STORE/control.pub), not redeemed before, not expired, with the
 *     secret whose hash it holds (constant time). Then, in one atomic
 *     step, STORE/grants/NODE.redeemed (naming the grant's bootstrap key:
 *     a second redemption of it is refused) and STORE/registrations/
 *     NODE.json (the node's own public key, for the admin's next publish),
 *     and the hub's interface takes the node's key in place of the
 *     bootstrap key: same AllowedIPs, preshared key and keepalive.
 *   The keeper (a thread, every second while there are grants): an
 *     expired, unredeemed bootstrap key is removed from the interface;
 *     a redeemed one that came back (the hub's agent applied the last
 *     published state again) is replaced by the registered key again.
 *
 * A hub can do this only for keys the admin's grant named: it cannot
 * invent a node, and the secret never leaves the tunnel.
 *
 * Ownership: the thread owns nothing but its copies; join_lock makes
 * redemptions and the keeper one at a time.
 */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "ctl.h"
#include "ctl_join.h"
#include "keys.h"
#include "proc.h"
#include "serve_join.h"
#include "txn.h"

static pthread_mutex_t join_lock = PTHREAD_MUTEX_INITIALIZER;

/* One peer of the hub's interfaces as `wg show all dump` gives it. */
struct hub_peer {
	char iface[LW_IFNAME_MAX + 1];
	char psk[LW_KEY_B64_LEN + 1]; /* "(none)" when none */
	char allowed[4096];
	char keepalive[16];
};

/* Finds the peer with public key pub on any interface. 0 or -ENOENT. */
static int find_peer(const char *pub, struct hub_peer *out)
{
	const char *argv[] = { "wg", "show", "all", "dump", NULL };
	struct lw_cmd c = { .out_fd = -1 };
	char *text = NULL, *line, *save = NULL;
	int r = -ENOENT;

	if (proc_capture(&c, argv, &text) || !text) {
		free(text);
		return -EIO;
	}
	for (line = strtok_r(text, "\n", &save); line && r;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[9], *s2 = NULL;
		int n = 0;

		for (f[n] = strtok_r(line, "\t", &s2); f[n] && n < 8;
		     f[++n] = strtok_r(NULL, "\t", &s2))
			;
		if (n < 8 || !f[8] || strcmp(f[1], pub))
			continue;
		snprintf(out->iface, sizeof(out->iface), "%s", f[0]);
		snprintf(out->psk, sizeof(out->psk), "%s", f[2]);
		snprintf(out->allowed, sizeof(out->allowed), "%s", f[4]);
		snprintf(out->keepalive, sizeof(out->keepalive), "%s", f[8]);
		r = 0;
	}
	crypto_wipe(text, strlen(text));
	free(text);
	return r;
}

/* The peer with key from takes key to instead. 0 or -errno. */
static int swap_peer(const char *from, const char *to)
{
	struct hub_peer p;
	char input[LW_KEY_B64_LEN + 2];
	const char *add[12] = { "wg", "set", p.iface, "peer", to };
	const char *del[] = { "wg", "set", p.iface, "peer", from, "remove",
			      NULL };
	struct lw_cmd c = { .out_fd = -1 };
	int n = 5, r = find_peer(from, &p);

	if (r)
		return r;
	if (strcmp(p.psk, "(none)")) {
		snprintf(input, sizeof(input), "%s\n", p.psk);
		c.input = input;
		add[n++] = "preshared-key";
		add[n++] = "/dev/stdin";
	}
	add[n++] = "allowed-ips";
	add[n++] = strcmp(p.allowed, "(none)") ? p.allowed : "";
	add[n++] = "persistent-keepalive";
	add[n++] = strcmp(p.keepalive, "off") ? p.keepalive : "0";
	add[n] = NULL;
	r = proc_run(&c, add);
	crypto_wipe(input, sizeof(input));
	crypto_wipe(p.psk, sizeof(p.psk));
	c.input = NULL;
	if (!r)
		r = proc_run(&c, del);
	return r ? -EIO : 0;
}

static int remove_peer(const char *key)
{
	struct hub_peer p;
	const char *del[] = { "wg", "set", p.iface, "peer", key, "remove",
			      NULL };
	struct lw_cmd c = { .out_fd = -1 };

	if (find_peer(key, &p))
		return -ENOENT;
	crypto_wipe(p.psk, sizeof(p.psk));
	return proc_run(&c, del) ? -EIO : 0;
}

/* NODE's grant, verified with the store's network key. */
static int load_grant(const char *store, const char *node,
		      struct ctl_grant *g, char *err, size_t errlen)
{
	char path[4096], network[LW_NAME_MAX + 1], *text = NULL;
	EVP_PKEY *pub = NULL;
	size_t len;
	int r;

	snprintf(path, sizeof(path), "%s/%s", store, CTL_PUB_FILE);
	r = ctl_pub_load(path, &pub, network, sizeof(network), err, errlen);
	snprintf(path, sizeof(path), "%s/grants/%s.json", store, node);
	if (!r && lw_read_file(path, &text, &len, 8192))
		r = ctl_fail(err, errlen, -ENOENT, "no invitation for %s",
			     node);
	if (!r)
		r = ctl_grant_parse(g, text, len, pub, err, errlen);
	if (!r && strcmp(g->network, network))
		r = ctl_fail(err, errlen, -EXDEV,
			     "the grant is for network %s, not %s", g->network,
			     network);
	free(text);
	EVP_PKEY_free(pub);
	return r;
}

/* Whether the grant's bootstrap key was redeemed (the marker names it). */
static bool redeemed(const char *store, const struct ctl_grant *g)
{
	char path[4096], *text = NULL, *b64 = ctl_b64_encode(g->boot_pub, 32);
	size_t len;
	bool yes;

	snprintf(path, sizeof(path), "%s/grants/%s.redeemed", store, g->node);
	yes = !lw_read_file(path, &text, &len, 256) && b64 &&
	      !strncmp(text, b64, strlen(b64));
	free(text);
	free(b64);
	return yes;
}

/* The registered key of node, as base64, if its registration is this
 * grant's. */
static int registered_key(const char *store, const struct ctl_grant *g,
			  char out[static LW_KEY_B64_LEN + 1])
{
	char path[4096], *boot = ctl_b64_encode(g->boot_pub, 32);
	json_t *reg;
	const char *k, *b;
	int r = -ENOENT;

	snprintf(path, sizeof(path), "%s/registrations/%s.json", store,
		 g->node);
	reg = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
	k = json_string_value(json_object_get(reg, "public_key"));
	b = json_string_value(json_object_get(reg, "bootstrap"));
	if (k && b && boot && !strcmp(b, boot) && strlen(k) == LW_KEY_B64_LEN) {
		snprintf(out, LW_KEY_B64_LEN + 1, "%s", k);
		r = 0;
	}
	free(boot);
	json_decref(reg);
	return r;
}

/* The marker and the registration, in one transaction. */
static int record(const char *store, const struct ctl_grant *g,
		  const char *key_b64)
{
	char path[4096], *boot = ctl_b64_encode(g->boot_pub, 32), *reg = NULL;
	struct lw_txn t;
	bool made;
	int r = -ENOMEM;

	snprintf(path, sizeof(path), "%s/registrations", store);
	lw_mkdir_private(path, &made);
	txn_init(&t);
	if (boot && asprintf(&reg, "{\"node\": \"%s\", \"public_key\": "
				   "\"%s\", \"bootstrap\": \"%s\", \"at\": "
				   "%lld}\n",
			     g->node, key_b64, boot,
			     (long long)time(NULL)) > 0) {
		snprintf(path, sizeof(path), "%s/grants/%s.redeemed", store,
			 g->node);
		r = txn_add(&t, path, boot, strlen(boot), 0600, false);
		snprintf(path, sizeof(path), "%s/registrations/%s.json", store,
			 g->node);
		if (!r)
			r = txn_add(&t, path, reg, strlen(reg), 0600, false);
		if (!r)
			r = txn_commit(&t);
	}
	txn_free(&t);
	free(reg);
	free(boot);
	return r;
}

/* The body: exactly {"secret", "public_key"}, both 32-byte base64. */
static int read_body(const char *body, size_t len, uint8_t secret[32],
		     uint8_t key[32])
{
	json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	int r = -EBADMSG;

	if (json_is_object(o) && json_object_size(o) == 2 &&
	    !ctl_b64_decode(secret, 32,
			    json_string_value(json_object_get(o, "secret"))) &&
	    !ctl_b64_decode(key, 32, json_string_value(json_object_get(
						  o, "public_key"))) &&
	    !crypto_is_zero(key, 32))
		r = 0;
	if (o) {
		json_t *s = json_object_get(o, "secret");

		if (json_is_string(s)) /* the text jansson keeps */
			crypto_wipe((char *)json_string_value(s),
				    json_string_length(s));
	}
	json_decref(o);
	return r;
}

/* The swap waits until this answer has gone back through the bootstrap
 * tunnel (the swap ends that tunnel): a thread swaps JOIN_SWAP_MS later;
 * the keeper would do it within a second anyway. */
#define JOIN_SWAP_MS 150

struct swap_job {
	const char *store;
	char node[LW_NAME_MAX + 1];
};

static void *swap_later(void *arg)
{
	struct swap_job *job = arg;
	char err[512], reg[LW_KEY_B64_LEN + 1], *boot = NULL;
	struct ctl_grant g;

	usleep(JOIN_SWAP_MS * 1000);
	pthread_mutex_lock(&join_lock);
	if (!load_grant(job->store, job->node, &g, err, sizeof(err)) &&
	    !registered_key(job->store, &g, reg) &&
	    (boot = ctl_b64_encode(g.boot_pub, 32)) && swap_peer(boot, reg))
		printf("serve: %s: the hub's interface has no peer with the "
		       "invitation's key\n", job->node);
	fflush(stdout);
	pthread_mutex_unlock(&join_lock);
	free(boot);
	free(job);
	return NULL;
}

static void swap_soon(const char *store, const char *node)
{
	struct swap_job *job = calloc(1, sizeof(*job));
	pthread_t t;

	if (!job)
		return;
	job->store = store;
	snprintf(job->node, sizeof(job->node), "%s", node);
	if (pthread_create(&t, NULL, swap_later, job)) {
		free(job);
		return;
	}
	pthread_detach(t);
}

unsigned int serve_join(const char *store, const char *node,
			const char *body, size_t len, char *msg, size_t size)
{
	uint8_t secret[32], key[32];
	char err[512], key_b64[LW_KEY_B64_LEN + 1], *boot;
	struct ctl_grant g;
	unsigned int code = 403;
	int r;

	if (read_body(body, len, secret, key)) {
		snprintf(msg, size, "a join wants {\"secret\", \"public_key\"}\n");
		return 400;
	}
	pthread_mutex_lock(&join_lock);
	r = load_grant(store, node, &g, err, sizeof(err));
	if (!r)
		r = ctl_grant_check(&g, node, secret, (uint64_t)time(NULL),
				    redeemed(store, &g), err, sizeof(err));
	crypto_wipe(secret, sizeof(secret));
	if (!r && !memcmp(key, g.boot_pub, 32))
		r = ctl_fail(err, sizeof(err), -EINVAL,
			     "the node's key must be its own, not the "
			     "invitation's");
	if (!r) {
		key_to_base64(key_b64, key);
		boot = ctl_b64_encode(g.boot_pub, 32);
		r = record(store, &g, key_b64);
		if (r) {
			ctl_fail(err, sizeof(err), r, "cannot record it: %s",
				 strerror(-r));
			code = 500;
		} else {
			code = 200;
			swap_soon(store, node);
		}
		free(boot);
	}
	pthread_mutex_unlock(&join_lock);
	if (code == 200) {
		printf("serve: %s joined with its own key %s\n", node, key_b64);
		snprintf(msg, size, "registered\n");
	} else {
		printf("serve: %s: join refused: %s\n", node, err);
		snprintf(msg, size, "%s\n", err);
	}
	fflush(stdout);
	return code;
}

/* ---- the keeper ---- */

static void keep_grant(const char *store, const char *node)
{
	char err[512], reg[LW_KEY_B64_LEN + 1], *boot;
	struct ctl_grant g;

	if (load_grant(store, node, &g, err, sizeof(err)))
		return;
	boot = ctl_b64_encode(g.boot_pub, 32);
	if (!boot)
		return;
	if (redeemed(store, &g)) {
		if (!registered_key(store, &g, reg) && !swap_peer(boot, reg))
			printf("serve: %s's invitation key was back; %s's "
			       "registered key put in its place\n",
			       node, node);
	} else if ((uint64_t)time(NULL) >= g.expires &&
		   !remove_peer(boot)) {
		printf("serve: %s's invitation expired; its bootstrap key "
		       "removed\n", node);
	}
	fflush(stdout);
	free(boot);
}

static void *keeper(void *arg)
{
	const char *store = arg;
	char dir[4096], node[LW_NAME_MAX + 1];
	struct dirent *e;
	DIR *dp;

	snprintf(dir, sizeof(dir), "%s/grants", store);
	for (;; sleep(1)) {
		if (!(dp = opendir(dir)))
			continue;
		while ((e = readdir(dp))) {
			size_t n = strlen(e->d_name);

			if (n < 6 || n - 5 > LW_NAME_MAX ||
			    strcmp(e->d_name + n - 5, ".json"))
				continue;
			snprintf(node, sizeof(node), "%.*s", (int)(n - 5),
				 e->d_name);
			pthread_mutex_lock(&join_lock);
			keep_grant(store, node);
			pthread_mutex_unlock(&join_lock);
		}
		closedir(dp);
	}
	return NULL;
}

void serve_join_start(const char *store)
{
	pthread_t t;

	if (pthread_create(&t, NULL, keeper, (void *)store) == 0)
		pthread_detach(t);
}
