// SPDX-License-Identifier: MIT
/*
 * lanwire down (apply.h): what RUN/IFACE.state says up added, removed in
 * reverse (the nft table, the interface found by its ifindex under
 * whatever name it has now, lanwired waited for and stopped if it
 * lingers, the sysctls set back to their old values), then checked: if
 * anything is still there, down names it, keeps the state for another
 * try and fails. An interface of the node's name that up did not make is
 * never touched.
 */
#include "apply_int.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"

#define DAEMON_EXIT_MS 5000
#define DAEMON_TERM_MS 2000

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* How many of the recorded daemons still run for the interface. */
static size_t daemons_alive(const struct lw_up_state *st)
{
	size_t i, n = 0;

	for (i = 0; i < st->n_pids; i++)
		n += host_pid_serves(st->pids[i], st->iface);
	return n;
}

static void wait_daemons(struct up_ctx *u, int ms)
{
	int waited;

	for (waited = 0; daemons_alive(&u->st) && waited < ms; waited += 50)
		sleep_ms(50);
}

/* They exit when their interface goes; those that linger get SIGTERM. */
static void stop_daemons(struct up_ctx *u)
{
	size_t i;

	wait_daemons(u, DAEMON_EXIT_MS);
	for (i = 0; i < u->st.n_pids; i++) {
		if (!host_pid_serves(u->st.pids[i], u->st.iface))
			continue;
		if (u->o->echo)
			fprintf(u->o->echo, "[#] kill %d\n", (int)u->st.pids[i]);
		kill(u->st.pids[i], SIGTERM);
	}
	wait_daemons(u, DAEMON_TERM_MS);
}

static int remove_nft(struct up_ctx *u)
{
	const char *argv[] = { "nft", "delete", "table", "inet", LW_NFT_TABLE,
			       NULL };
	char path[PATH_MAX];

	if (!u->st.nft || !host_nft_table(u->o))
		return 0;
	if (host_run(u->o, argv, NULL))
		return apply_fail(u, "cannot delete table inet %s",
				  LW_NFT_TABLE);
	snprintf(path, sizeof(path), "%s/%s.nft", u->o->run_dir, u->st.iface);
	unlink(path);
	apply_report(u, "nft table inet %s removed", LW_NFT_TABLE);
	return 0;
}

/* The interface by its ifindex, whatever it is called now. */
static int remove_link(struct up_ctx *u)
{
	const char *argv[] = { "ip", "link", "del", "dev", u->cur, NULL };

	if (!u->st.ifindex || host_link_name(u->o, u->st.ifindex, u->cur))
		return 0;
	if (host_run(u->o, argv, NULL))
		return apply_fail(u, "cannot delete interface %s", u->cur);
	if (strcmp(u->cur, u->st.iface))
		apply_report(u, "interface %s (renamed %s) removed",
			     u->st.iface, u->cur);
	else
		apply_report(u, "interface %s removed", u->cur);
	return 0;
}

int restore_sysctl(struct up_ctx *u, const struct lw_up_sysctl *s)
{
	char setting[192];
	const char *argv[] = { "sysctl", "-q", "-w", setting, NULL };
	char *cur = host_sysctl(u->o, s->key);
	int r = 0;

	if (cur && strcmp(cur, s->old)) {
		snprintf(setting, sizeof(setting), "%s=%s", s->key, s->old);
		if (host_run(u->o, argv, NULL))
			r = apply_fail(u, "sysctl -w %s failed", setting);
		else
			apply_report(u, "sysctl %s %s -> %s", s->key, cur,
				     s->old);
	}
	free(cur);
	return r;
}

static int restore_sysctls(struct up_ctx *u)
{
	size_t i;
	int r = 0;

	for (i = 0; i < u->st.n_sysctls; i++)
		r |= restore_sysctl(u, &u->st.sysctls[i]);
	return r;
}

/* What is still there of what the state records, as text ("" when
 * nothing); the state trimmed to it. */
static char *leftovers(struct up_ctx *u)
{
	struct lw_up_state *st = &u->st;
	struct lw_buf b = { 0 };
	char name[LW_IFNAME_MAX + 1], *cur;
	size_t i, kept = 0;

	if (st->ifindex && !host_link_name(u->o, st->ifindex, name))
		buf_printf(&b, "; interface %s", name);
	for (i = 0; i < st->n_pids; i++)
		if (host_pid_serves(st->pids[i], st->iface)) {
			buf_printf(&b, "; daemon pid %d", (int)st->pids[i]);
			st->pids[kept++] = st->pids[i];
		}
	st->n_pids = kept;
	st->nft = st->nft && host_nft_table(u->o);
	if (st->nft)
		buf_printf(&b, "; nft table inet %s", LW_NFT_TABLE);
	for (i = 0, kept = 0; i < st->n_sysctls; i++) {
		cur = host_sysctl(u->o, st->sysctls[i].key);
		if (cur && strcmp(cur, st->sysctls[i].old)) {
			buf_printf(&b, "; sysctl %s = %s (was %s)",
				   st->sysctls[i].key, cur, st->sysctls[i].old);
			st->sysctls[kept++] = st->sysctls[i];
		}
		free(cur);
	}
	st->n_sysctls = kept;
	return buf_steal(&b);
}

/* Removes everything the state records; 0 when nothing is left (the
 * state file removed), else 1 with what is left named. */
static int remove_all(struct up_ctx *u)
{
	char path[PATH_MAX], *left;
	int r = 0;

	r |= remove_nft(u);
	r |= remove_link(u);
	stop_daemons(u);
	r |= restore_sysctls(u);
	left = leftovers(u);
	if (!left)
		return apply_fail(u, "out of memory");
	if (*left) {
		r = apply_fail(u, "down left behind%s; the state stays in %s, "
				  "run lanwire down again once they are gone",
			       left, u->state_path);
		state_save(u);
	} else {
		r = 0;
		snprintf(path, sizeof(path), "%s/%s.nft", u->o->run_dir,
			 u->st.iface);
		unlink(path);
		unlink(u->state_path);
		rmdir(u->o->run_dir);
	}
	free(left);
	return r;
}

void apply_undo(struct up_ctx *u)
{
	remove_all(u);
}

/* No state: nothing of ours is up. Say so, and refuse an interface of
 * that name (someone else's). */
static int nothing_up(struct up_ctx *u)
{
	char owner[512];

	if (apply_iface_exists(u->o, u->pl->iface)) {
		host_owner(u->o, u->pl->iface, owner, sizeof(owner));
		return apply_fail(u, "interface %s exists but lanwire up did "
				     "not create it (no %s); it is served by "
				     "%s. Leaving it untouched",
				  u->pl->iface, u->state_path, owner);
	}
	fprintf(stderr,
		"lanwire: %s: nothing is up (no interface %s, no state %s); "
		"nothing to do\n",
		u->pl->self->name, u->pl->iface, u->state_path);
	return 0;
}

int apply_down(const struct lw_node_plan *pl, const struct lw_apply *o)
{
	struct up_ctx u = { .pl = pl, .o = o };
	int r;

	if (pl->n_links)
		return apply_overlay_down(pl, o);
	snprintf(u.state_path, sizeof(u.state_path), "%s/%s.state",
		 o->run_dir, pl->iface);
	r = state_load(&u);
	if (r == -ENOENT)
		return nothing_up(&u);
	if (r)
		return r == -EINVAL ? 1 : apply_fail(&u, "cannot read %s: %s",
						     u.state_path,
						     strerror(-r));
	r = remove_all(&u);
	up_state_free(&u.st);
	return r;
}
