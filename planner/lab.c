// SPDX-License-Identifier: MIT
/*
 * lanwire lab (lab.h): the run. A scenario is a description (an embedded
 * example or the user's -f FILE); the run:
 *
 *   1. the lab copy of the description, parsed and checked (lab_desc.c)
 *   2. keys into a temporary key directory (lab_up.c)
 *   3. the namespaces (lab_net.c)
 *   4. every node up exactly as lanwire up does, the LAN routers' routes,
 *      every spoke's handshake with its hub (lab_up.c)
 *   5. probes: every host to every address on every probed protocol and
 *      port, then the tampered clients (lab_matrix.c, lab_probe.c); for
 *      the seed networks the on-site route and one iperf3 run
 *   6. report; remove everything: daemons and children by pid, then the
 *      namespaces, then the temporary directory (also on SIGINT/SIGTERM)
 *
 * An overlay scenario (struct lab_scenario.overlay) replaces steps 3-5
 * with lab_overlay.c's run and its measurement.
 *
 * The exit status is 1 if any observation differs from the expectation.
 */
#include "lab.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "buf.h"
#include "check.h"
#include "desc.h"
#include "keys.h"
#include "overlay.h"
#include "plan.h"
#include "proc.h"
#include "status.h"
#include "txn.h"


/* For the signal handler's cleanup, in the lab's own process only (its
 * probe services are forks of it). */
static struct lab *active;
static pid_t active_pid;

static void lab_count(struct lab *l)
{
	size_t i;

	for (i = 0; i < l->n_pairs; i++) {
		if (l->pairs[i].ok)
			l->passed++;
		else
			l->failed++;
	}
	for (i = 0; i < l->n_routes; i++) {
		if (l->routes[i].ok)
			l->passed++;
		else
			l->failed++;
	}
	if (!l->sc->iperf_from)
		return;
	if (l->iperf_mbit > 0)
		l->passed++;
	else
		l->failed++;
}

static int lab_listeners(struct lab *l)
{
	size_t i;

	for (i = 0; i < l->n_hosts; i++) {
		if (lab_listen(l, &l->hosts[i]))
			return -1;
	}
	return 0;
}

/* ---- 7: cleanup ---- */

/* Removes every interface the lab brought up, then waits for the daemons
 * serving them (found by pid before) to exit, stopping those that linger. */
static void nodes_down(struct lab *l)
{
	const char *del[] = { "ip", "link", "del", "dev", NULL, NULL };
	pid_t pids[64];
	size_t i, n = 0, k;
	char ns[128];
	int waited;

	for (i = 0; l->up && i < l->d->n_nodes; i++) {
		if (!l->up[i])
			continue;
		l->up[i] = false;
		del[4] = desc_node_iface(l->d, i);
		n += proc_find_daemon(l->daemon, del[4], pids + n, 64 - n);
		lab_ns_name(l, ns, sizeof(ns), l->d->nodes[i].name);
		lab_cmd(l, lab_host_of_node(l, i) ?
				   lab_host_of_node(l, i)->ns : ns, del);
	}
	for (waited = 0; waited < 4000; waited += 50) {
		for (k = 0; k < n && !proc_alive(pids[k]); k++)
			;
		if (k == n)
			return;
		lab_sleep_ms(50);
	}
	for (k = 0; k < n; k++) {
		if (!proc_alive(pids[k]))
			continue;
		fprintf(l->log, "[#] kill -KILL %d\n", (int)pids[k]);
		kill(pids[k], SIGKILL);
	}
}

static void lab_cleanup(struct lab *l)
{
	const char *rm[] = { "rm", "-rf", "--", l->dir, NULL };
	const char *del[] = { "ip", "netns", "del", NULL, NULL };
	size_t i;

	for (i = 0; i < l->n_hosts; i++) {
		if (l->hosts[i].listener > 0)
			proc_stop(l->hosts[i].listener, 500);
		l->hosts[i].listener = 0;
	}
	lab_ov_cleanup(l);
	nodes_down(l);
	while (l->n_ns) {
		del[3] = l->ns[--l->n_ns];
		lab_cmd(l, NULL, del);
	}
	if (l->log && l->log != stderr)
		fclose(l->log);
	l->log = stderr;
	if (l->dir[0])
		proc_run(&(struct lw_cmd){ NULL, NULL, NULL, -1, NULL }, rm);
	l->dir[0] = '\0';
}

static void on_signal(int sig)
{
	if (active && getpid() == active_pid) {
		fprintf(stderr, "lab: signal %d: cleaning up\n", sig);
		lab_cleanup(active);
	}
	_exit(128 + sig);
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* ---- the run ---- */

static void make_tag(char tag[static 8])
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	unsigned long v = (unsigned long)getpid();
	int i;

	for (i = 4; i >= 0; i--, v /= 36)
		tag[i] = digits[v % 36];
	tag[5] = '\0';
}

static int lab_start(struct lab *l, bool verbose)
{
	char path[300];
	int fd;

	make_tag(l->tag);
	snprintf(l->dir, sizeof(l->dir), "/tmp/lanwire-lab-%s-XXXXXX", l->tag);
	if (!mkdtemp(l->dir)) {
		l->dir[0] = '\0';
		return -1;
	}
	l->log = stderr;
	if (verbose)
		return 0;
	snprintf(path, sizeof(path), "%s/lab.log", l->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0)
		l->log = fdopen(fd, "w");
	if (!l->log)
		l->log = stderr;
	setvbuf(l->log, NULL, _IOLBF, 0);
	return 0;
}

/* The last lines of the log, when something went wrong. */
static void show_log_tail(struct lab *l)
{
	char path[300], *text = NULL;
	size_t len, n = 0;
	const char *p;

	if (l->log == stderr)
		return;
	fflush(l->log);
	snprintf(path, sizeof(path), "%s/lab.log", l->dir);
	if (lw_read_file(path, &text, &len, 1 << 24))
		return;
	for (p = text + len; p > text && n < 25; p--)
		n += p[-1] == '\n';
	fprintf(stderr, "lab: last lines of the log:\n%s", p);
	free(text);
}

static int lab_steps(struct lab *l)
{
	size_t before;

	lab_progress(l, "scenario %s: %s", l->sc->name, l->sc->about);
	if (l->sc->overlay)
		return lab_ov_run(l);
	if (lab_describe(l))
		return -1;
	if (overlay_active(l->d)) {
		lab_progress(l, "%s is an overlay (several hubs or a [link]): "
				"the probe matrix does not run it; the overlay "
				"scenarios are ha, direct and asymmetric",
			     l->sc->name);
		return -1;
	}
	if (lab_keys(l))
		return -1;
	lab_progress(l, "building namespaces %s%s-*", LAB_NS_PREFIX, l->tag);
	if (lab_net_build(l))
		return -1;
	lab_progress(l, "lanwired will run as %s",
		     l->user ? l->user : "root");
	lab_progress(l, "%zu namespaces; bringing nodes up with %s", l->n_ns,
		     l->daemon);
	if (l->sc->join_client)
		return lab_up(l) || lab_wait_handshakes(l) || lab_live(l) ?
			       -1 : 0;
	if (lab_up(l) || lab_wait_handshakes(l) ||
	    lab_pairs(l, LAB_TAMPER_NONE) || lab_listeners(l))
		return -1;
	lab_progress(l, "probing: %zu probes (%zu protocols and ports, %d ms "
			"timeout)",
		     l->n_pairs, l->n_q, LAB_PROBE_TIMEOUT_MS);
	lab_probe_all(l, 0);
	if (lab_tamper(l))
		return -1;
	before = l->n_pairs;
	if (lab_pairs(l, LAB_TAMPER_WIDENED) ||
	    lab_pairs(l, LAB_TAMPER_SPOOFED))
		return -1;
	lab_progress(l, "probing: %zu probes from the tampered clients",
		     l->n_pairs - before);
	lab_probe_all(l, before);
	lab_check_routes(l);
	if (l->sc->iperf_from) {
		lab_progress(l, "iperf3 %s -> %s", l->sc->iperf_from,
			     l->sc->iperf_to);
		lab_iperf(l);
	}
	return 0;
}

int lab_run(const struct lab_scenario *sc, const char *daemon,
	    const char *user, bool json, bool verbose)
{
	struct lw_keyring kr = { 0 };
	struct lw_desc d = { 0 };
	struct lab *l = calloc(1, sizeof(*l));
	struct timespec t0, t1;
	int r;

	if (!l)
		return 1;
	l->sc = sc;
	l->user = user;
	l->widened = l->spoofer = l->spoofed = SIZE_MAX;
	l->live.join_ms = l->live.change_ms = l->live.revoke_ms = -1;
	l->live.rotate_lost_pings = -1;
	l->ov.failover_ms = l->ov.failback_ms = l->ov.fo_kill = -1;
	l->ov.fo_udp = l->ov.fb_kill = l->ov.fb_udp = l->ov.flaps = -1;
	l->ov.route_changes = l->ov.restart_ms = l->ov.restart_link_ms = -1;
	l->json = json;
	l->d = &d;
	l->kr = &kr;
	snprintf(l->daemon, sizeof(l->daemon), "%s", daemon);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (lab_start(l, verbose)) {
		free(l);
		fprintf(stderr, "lab: cannot make a temporary directory\n");
		return 1;
	}
	active = l;
	active_pid = getpid();
	catch_signals();
	r = lab_steps(l);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	l->seconds = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (r)
		show_log_tail(l);
	else if (!sc->join_client && !sc->overlay)
		lab_count(l);
	else if (sc->join_client && !l->live.sessions_kept)
		l->failed++;
	if (!r && l->failed)
		show_log_tail(l);
	lab_progress(l, "cleaning up");
	lab_cleanup(l);
	active = NULL;
	if (sc->overlay)
		sc->overlay_report(l, json, stdout);
	else if (sc->join_client)
		lab_live_report(l, json, stdout);
	else if (!r && json)
		lab_report_json(l, stdout);
	else if (!r)
		lab_report_text(l, stdout);
	else
		fprintf(stderr, "lab: %s could not be built\n", sc->name);
	r = r || l->failed ? 1 : 0;
	free(l->up);
	free(l->pairs);
	free(l->text);
	free(l);
	keyring_free(&kr);
	desc_free(&d);
	return r;
}
