// SPDX-License-Identifier: MIT
/*
 * lanwire up / down (apply.h): the rendered configuration, forwarding and
 * the nft table put on the host through the host's own tools, each
 * command echoed "[#] ..." and run from an argument vector. Up records
 * what it changed (RUN/IFACE.state) so that down undoes exactly that.
 */
#include "apply.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "proc.h"
#include "render.h"
#include "txn.h"

#define DAEMON_EXIT_MS 5000

struct paths {
	char conf[PATH_MAX], nft[PATH_MAX], state[PATH_MAX], wg[PATH_MAX];
};

static void make_paths(struct paths *p, const struct lw_apply *o,
		       const char *iface)
{
	snprintf(p->conf, sizeof(p->conf), "%s/%s.conf", o->run_dir, iface);
	snprintf(p->nft, sizeof(p->nft), "%s/%s.nft", o->run_dir, iface);
	snprintf(p->state, sizeof(p->state), "%s/%s.state", o->run_dir,
		 iface);
	snprintf(p->wg, sizeof(p->wg), "%s/%s.wg", o->run_dir, iface);
}

static struct lw_cmd cmd_of(const struct lw_apply *o)
{
	struct lw_cmd c = { o->netns, NULL, o->echo, o->out_fd, NULL };

	return c;
}

static int fail(const char *fmt, const char *a, const char *b)
{
	fputs("lanwire: ", stderr);
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	return 1;
}

/* Runs a query command silently (not echoed, output dropped); true if it
 * exits 0. */
static bool query_succeeds(const struct lw_apply *o, const char *const argv[])
{
	struct lw_cmd c = cmd_of(o);
	char *out;
	int r;

	c.echo = NULL;
	c.out_fd = LW_CMD_QUIET;
	r = proc_capture(&c, argv, &out);
	free(out);
	return r == 0;
}

bool apply_iface_exists(const struct lw_apply *o, const char *iface)
{
	const char *argv[] = { "ip", "link", "show", "dev", iface, NULL };

	return query_succeeds(o, argv);
}

char *apply_default_daemon(const char *argv0)
{
	char self[PATH_MAX], *slash, *path;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	(void)argv0;
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash && asprintf(&path, "%.*s/lanwired",
				      (int)(slash - self), self) >= 0) {
			if (!access(path, X_OK))
				return path;
			free(path);
		}
	}
	return strdup("lanwired");
}

/* ---- up ---- */

/* IFACE.conf without the host hooks (apply does their work itself) and
 * IFACE.nft, written into the run directory. */
static int write_files(const struct lw_node_plan *pl,
		       const struct lw_apply *o, const struct paths *p)
{
	struct lw_render_opts ro = { o->source, o->run_dir };
	struct lw_node_plan bare = *pl;
	struct lw_files files = { 0 };
	struct lw_txn t;
	char *nft = NULL;
	int r;

	bare.n_sysctls = 0;
	bare.forwards = false;
	r = render_wgquick(&bare, &ro, &files);
	if (!r && pl->forwards && !(nft = render_nft_ruleset(pl, &ro)))
		r = -ENOMEM;
	txn_init(&t);
	if (!r)
		r = txn_add(&t, p->conf, files.v[0].text,
			    strlen(files.v[0].text), 0600, true);
	if (!r && nft)
		r = txn_add(&t, p->nft, nft, strlen(nft), 0644, false);
	if (!r)
		r = txn_commit(&t);
	txn_free(&t);
	free(nft);
	files_free(&files);
	return r ? fail("cannot write %s: %s", p->conf, strerror(-r)) : 0;
}

static int interface_up(const struct lw_node_plan *pl,
			const struct lw_apply *o)
{
	char env[PATH_MAX + 64];
	const char *envv[] = { env, NULL };
	struct paths p;
	struct lw_cmd c = cmd_of(o);
	const char *argv[] = { "wg-quick", "up", p.conf, NULL };

	make_paths(&p, o, pl->iface);
	snprintf(env, sizeof(env), "WG_QUICK_USERSPACE_IMPLEMENTATION=%s",
		 o->daemon);
	c.env = envv;
	if (proc_run(&c, argv))
		return fail("wg-quick up %s failed%s", p.conf, "");
	return 0;
}

/* The interface exists: bring its peers and keys in line with the plan
 * without touching the tunnel. */
static int interface_sync(const struct lw_node_plan *pl,
			  const struct lw_apply *o)
{
	struct paths p;
	const char *strip[] = { "wg-quick", "strip", p.conf, NULL };
	const char *sync[] = { "wg", "syncconf", pl->iface, p.wg, NULL };
	struct lw_cmd c = cmd_of(o);
	struct lw_txn t;
	char *out = NULL;
	int r;

	make_paths(&p, o, pl->iface);
	c.echo = NULL;
	c.out_fd = LW_CMD_QUIET;
	r = proc_capture(&c, strip, &out);
	if (r || !out) {
		free(out);
		return fail("wg-quick strip %s failed%s", p.conf, "");
	}
	txn_init(&t);
	r = txn_add(&t, p.wg, out, strlen(out), 0600, true);
	if (!r)
		r = txn_commit(&t);
	txn_free(&t);
	free(out);
	if (r)
		return fail("cannot write %s: %s", p.wg, strerror(-r));
	r = proc_run(&(struct lw_cmd){ o->netns, NULL, o->echo, o->out_fd,
				       NULL },
		     sync);
	unlink(p.wg);
	return r ? fail("wg syncconf %s failed%s", pl->iface, "") : 0;
}

static char *sysctl_read(const struct lw_apply *o, const char *key)
{
	const char *argv[] = { "sysctl", "-n", key, NULL };
	struct lw_cmd c = cmd_of(o);
	char *out = NULL;

	c.echo = NULL;
	c.out_fd = LW_CMD_QUIET;
	if (proc_capture(&c, argv, &out)) {
		free(out);
		return NULL;
	}
	out[strcspn(out, "\n")] = '\0';
	return out;
}

/* Whether the state file already holds key's old value. */
static bool state_has(const char *state, const char *key)
{
	char *text = NULL, *line, *save = NULL;
	size_t len, klen = strlen(key);
	bool has = false;

	if (lw_read_file(state, &text, &len, 1 << 20))
		return false;
	for (line = strtok_r(text, "\n", &save); line && !has;
	     line = strtok_r(NULL, "\n", &save))
		has = !strncmp(line, key, klen) && line[klen] == ' ';
	free(text);
	return has;
}

static int state_add(const char *state, const char *key, const char *old)
{
	FILE *f = fopen(state, "a");
	int r;

	if (!f)
		return -errno;
	fprintf(f, "%s %s\n", key, old);
	r = fflush(f) || fsync(fileno(f)) ? -errno : 0;
	fclose(f);
	return r;
}

/* One "key=value" of the plan: set when it differs, the old value kept
 * for down the first time. */
static int apply_sysctl(const struct lw_apply *o, const struct paths *p,
			const char *setting)
{
	const char *eq = strchr(setting, '=');
	const char *argv[] = { "sysctl", "-q", "-w", setting, NULL };
	char key[128], *cur;
	int r = 0;

	snprintf(key, sizeof(key), "%.*s", (int)(eq - setting), setting);
	cur = sysctl_read(o, key);
	if (!cur)
		return fail("cannot read sysctl %s%s", key, "");
	if (strcmp(cur, eq + 1)) {
		if (!state_has(p->state, key))
			r = state_add(p->state, key, cur);
		if (r)
			r = fail("cannot write %s: %s", p->state,
				 strerror(-r));
		else if (proc_run(&(struct lw_cmd){ o->netns, NULL, o->echo,
						     o->out_fd, NULL },
				  argv))
			r = fail("sysctl -w %s failed%s", setting, "");
	}
	free(cur);
	return r;
}

int apply_up(const struct lw_node_plan *pl, const struct lw_apply *o)
{
	const char *nft[] = { "nft", "-f", NULL, NULL };
	struct lw_cmd c = cmd_of(o);
	struct paths p;
	size_t i;
	int r;

	make_paths(&p, o, pl->iface);
	nft[2] = p.nft;
	r = lw_mkdir_private(o->run_dir, &(bool){ false });
	if (r)
		return fail("cannot make %s: %s", o->run_dir, strerror(-r));
	if (write_files(pl, o, &p))
		return 1;
	if (apply_iface_exists(o, pl->iface))
		r = interface_sync(pl, o);
	else
		r = interface_up(pl, o);
	for (i = 0; !r && i < pl->n_sysctls; i++)
		r = apply_sysctl(o, &p, pl->sysctls[i]);
	if (!r && pl->forwards && proc_run(&c, nft))
		r = fail("nft -f %s failed%s", p.nft, "");
	return r;
}

/* ---- down ---- */

static bool nft_table_exists(const struct lw_apply *o)
{
	const char *argv[] = { "nft", "list", "table", "inet", LW_NFT_TABLE,
			       NULL };

	return query_succeeds(o, argv);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The daemons serving iface are gone once their interface is: wait,
 * then stop those that linger. */
static void wait_daemons(const struct lw_apply *o, const pid_t *pids,
			 size_t n)
{
	size_t i, alive = n;
	int waited;

	for (waited = 0; alive && waited < DAEMON_EXIT_MS; waited += 50) {
		for (i = 0, alive = 0; i < n; i++)
			alive += proc_alive(pids[i]);
		if (alive)
			sleep_ms(50);
	}
	for (i = 0; i < n; i++) {
		if (!proc_alive(pids[i]))
			continue;
		if (o->echo)
			fprintf(o->echo, "[#] kill %d\n", (int)pids[i]);
		kill(pids[i], SIGTERM);
	}
}

static int interface_down(const struct lw_node_plan *pl,
			  const struct lw_apply *o, const struct paths *p)
{
	const char *down[] = { "wg-quick", "down", p->conf, NULL };
	const char *del[] = { "ip", "link", "del", "dev", pl->iface, NULL };
	struct lw_cmd c = cmd_of(o);
	pid_t pids[8];
	size_t n;
	int r;

	if (!apply_iface_exists(o, pl->iface))
		return 0;
	n = proc_find_daemon(o->daemon, pl->iface, pids, 8);
	r = proc_run(&c, access(p->conf, R_OK) ? del : down);
	wait_daemons(o, pids, n);
	return r ? fail("cannot remove interface %s%s", pl->iface, "") : 0;
}

/* Sets back every sysctl up changed, from the state file. */
static int restore_sysctls(const struct lw_apply *o, const struct paths *p)
{
	char *text = NULL, *line, *save = NULL, *sp, setting[256];
	const char *argv[] = { "sysctl", "-q", "-w", setting, NULL };
	struct lw_cmd c = cmd_of(o);
	size_t len;
	int r = 0;

	if (lw_read_file(p->state, &text, &len, 1 << 20))
		return 0;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		sp = strchr(line, ' ');
		if (!sp)
			continue;
		snprintf(setting, sizeof(setting), "%.*s=%s",
			 (int)(sp - line), line, sp + 1);
		if (proc_run(&c, argv))
			r = fail("sysctl -w %s failed%s", setting, "");
	}
	free(text);
	return r;
}

int apply_down(const struct lw_node_plan *pl, const struct lw_apply *o)
{
	const char *nft[] = { "nft", "delete", "table", "inet", LW_NFT_TABLE,
			      NULL };
	struct lw_cmd c = cmd_of(o);
	struct paths p;
	int r = 0;

	make_paths(&p, o, pl->iface);
	if (pl->forwards && nft_table_exists(o) && proc_run(&c, nft))
		r = fail("cannot delete table inet %s%s", LW_NFT_TABLE, "");
	r |= interface_down(pl, o, &p);
	r |= restore_sysctls(o, &p);
	if (!r) {
		unlink(p.conf);
		unlink(p.nft);
		unlink(p.state);
		rmdir(o->run_dir);
	}
	return r;
}
