// SPDX-License-Identifier: MIT
/*
 * BIRD for lanwire up / down of an overlay router (apply_overlay.c): its
 * own configuration RUN/NODE.bird.conf, control socket RUN/NODE.bird.ctl
 * and pid file RUN/NODE.bird.pid, so that it never meets a BIRD the host
 * runs for itself. A configuration is checked with `bird -p` before
 * anything uses it; a running BIRD (the recorded pid, still serving our
 * socket) is told to reload with `birdc -s SOCKET configure` only when
 * the configuration changed.
 */
#include "apply_int.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "txn.h"

#define BIRD_START_MS 3000
#define BIRD_STOP_MS 3000

static void bird_path(const struct lw_node_plan *pl, const struct lw_apply *o,
		      const char *ext, char path[static PATH_MAX])
{
	snprintf(path, PATH_MAX, "%s/%s.bird.%s", o->run_dir, pl->self->name,
		 ext);
}

static void nap_ms(int ms)
{
	struct timespec ts = { 0, (long)ms * 1000000L };

	nanosleep(&ts, NULL);
}

static int write_file(const char *path, const char *text)
{
	struct lw_txn t;
	int r;

	txn_init(&t);
	r = txn_add(&t, path, text, strlen(text), 0600, false);
	if (!r)
		r = txn_commit(&t);
	txn_free(&t);
	return r;
}

bool bird_alive(const struct lw_node_plan *pl, const struct lw_apply *o,
		pid_t pid)
{
	char ctl[PATH_MAX];

	bird_path(pl, o, "ctl", ctl);
	return pid > 0 && host_pid_serves(pid, ctl);
}

/* Reads BIRD's pid file until it names a live BIRD; 0 if it never does. */
static pid_t bird_wait_pid(const struct lw_node_plan *pl,
			   const struct lw_apply *o)
{
	char path[PATH_MAX], *text;
	size_t len;
	pid_t pid;
	int ms;

	bird_path(pl, o, "pid", path);
	for (ms = 0; ms < BIRD_START_MS; ms += 50) {
		text = NULL;
		pid = 0;
		if (!lw_read_file(path, &text, &len, 64))
			pid = (pid_t)atoi(text);
		free(text);
		if (bird_alive(pl, o, pid))
			return pid;
		nap_ms(50);
	}
	return 0;
}

/* The rendered configuration into RUN/NODE.bird.new, checked by bird -p.
 * 0, or 1 with a message (the file removed). */
static int bird_check(const struct lw_node_plan *pl, const struct lw_apply *o,
		      const char *conf, char path[static PATH_MAX])
{
	const char *argv[] = { "bird", "-p", "-c", path, NULL };
	int r;

	bird_path(pl, o, "new", path);
	r = write_file(path, conf);
	if (r) {
		fprintf(stderr, "lanwire: up %s: cannot write %s: %s\n",
			pl->self->name, path, strerror(-r));
		return 1;
	}
	if (host_run(o, argv, NULL)) {
		fprintf(stderr, "lanwire: up %s: BIRD refuses the rendered "
				"configuration (bird -p -c %s); changing "
				"nothing\n",
			pl->self->name, path);
		unlink(path);
		return 1;
	}
	return 0;
}

int bird_check_conf(const struct lw_node_plan *pl, const struct lw_apply *o,
		    const char *conf)
{
	char path[PATH_MAX];

	if (bird_check(pl, o, conf, path))
		return 1;
	unlink(path);
	return 0;
}

static int bird_start(const struct lw_node_plan *pl, const struct lw_apply *o,
		      const char *conf, pid_t *pid)
{
	char ctl[PATH_MAX], pidf[PATH_MAX];
	const char *argv[] = { "bird", "-c", conf, "-s", ctl, "-P", pidf,
			       NULL };

	bird_path(pl, o, "ctl", ctl);
	bird_path(pl, o, "pid", pidf);
	unlink(pidf);
	if (host_run(o, argv, NULL) || !(*pid = bird_wait_pid(pl, o))) {
		fprintf(stderr, "lanwire: up %s: BIRD did not start (bird -c "
				"%s -s %s)\n",
			pl->self->name, conf, ctl);
		return 1;
	}
	if (o->report)
		fprintf(o->report, "%s: BIRD started (pid %d, socket %s)\n",
			pl->self->name, (int)*pid, ctl);
	return 0;
}

/* birdc's answer read, not passed on: it exits 0 whatever BIRD said. */
static int bird_reload(const struct lw_node_plan *pl, const struct lw_apply *o)
{
	char ctl[PATH_MAX], *out;
	const char *argv[] = { "birdc", "-s", ctl, "configure", NULL };
	bool done;

	bird_path(pl, o, "ctl", ctl);
	if (o->echo)
		fprintf(o->echo, "[#] birdc -s %s configure\n", ctl);
	out = host_query(o, argv);
	done = out && strstr(out, "Reconfigur");
	free(out);
	if (!done) {
		fprintf(stderr, "lanwire: up %s: birdc -s %s configure "
				"failed\n",
			pl->self->name, ctl);
		return 1;
	}
	if (o->report)
		fprintf(o->report, "%s: BIRD configuration reloaded\n",
			pl->self->name);
	return 0;
}

int bird_up(const struct lw_node_plan *pl, const struct lw_apply *o,
	    const char *conf, pid_t *pid, bool *changed)
{
	char new_path[PATH_MAX], path[PATH_MAX], *had = NULL;
	bool running = bird_alive(pl, o, *pid), same;
	size_t len;

	if (bird_check(pl, o, conf, new_path))
		return 1;
	bird_path(pl, o, "conf", path);
	same = !lw_read_file(path, &had, &len, 1 << 24) && !strcmp(had, conf);
	free(had);
	*changed = !(running && same);
	if (!*changed) {
		unlink(new_path);
		return 0;
	}
	if (rename(new_path, path)) {
		fprintf(stderr, "lanwire: up %s: cannot rename %s: %s\n",
			pl->self->name, new_path, strerror(errno));
		unlink(new_path);
		return 1;
	}
	return running ? bird_reload(pl, o) : bird_start(pl, o, path, pid);
}

int bird_down(const struct lw_node_plan *pl, const struct lw_apply *o,
	      pid_t pid)
{
	const char *ext[] = { "conf", "ctl", "pid", "new" };
	char path[PATH_MAX];
	size_t i;
	int ms;

	if (bird_alive(pl, o, pid)) {
		if (o->echo)
			fprintf(o->echo, "[#] kill %d\n", (int)pid);
		kill(pid, SIGTERM);
		for (ms = 0; bird_alive(pl, o, pid) && ms < BIRD_STOP_MS;
		     ms += 50)
			nap_ms(50);
		if (bird_alive(pl, o, pid))
			kill(pid, SIGKILL);
		for (ms = 0; bird_alive(pl, o, pid) && ms < 1000; ms += 50)
			nap_ms(50);
		if (bird_alive(pl, o, pid)) {
			fprintf(stderr, "lanwire: down %s: BIRD (pid %d) "
					"does not stop\n",
				pl->self->name, (int)pid);
			return 1;
		}
		if (o->report)
			fprintf(o->report, "%s: BIRD stopped (pid %d)\n",
				pl->self->name, (int)pid);
	}
	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		bird_path(pl, o, ext[i], path);
		unlink(path);
	}
	return 0;
}
