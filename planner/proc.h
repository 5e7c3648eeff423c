/* SPDX-License-Identifier: MIT */
/*
 * Running the host's tools for lanwire up/down/lab: fork and exec with an
 * argument vector (never a shell string), optionally inside a named
 * network namespace (setns on /var/run/netns/NAME in the child, as
 * `ip netns exec` does), with extra environment, every command echoed as
 * "[#] ..." the way wg-quick does before it runs.
 *
 * Ownership: struct lw_cmd is the caller's; proc_capture() returns text
 * the caller frees.
 */
#ifndef LW_PROC_H
#define LW_PROC_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#define LW_NETNS_DIR "/var/run/netns"
#define LW_CMD_QUIET (-2)

struct lw_cmd {
	const char *netns;	/* run inside this namespace; NULL: here */
	const char *const *env; /* extra "KEY=VALUE" entries, NULL-ended */
	FILE *echo;		/* "[#] ..." here before running; NULL: no */
	int out_fd;		/* child's stdout and stderr; -1: inherited,
				 * LW_CMD_QUIET: /dev/null */
	const char *input;	/* written to the child's stdin; NULL: none */
};

/* Enters namespace name (in a child process). 0 or -errno. */
int proc_enter_netns(const char *name);
/* "[#] NS: a b c" (or "[#] a b c") on c->echo. */
void proc_echo(const struct lw_cmd *c, const char *const argv[]);
/* Runs argv and waits: its exit status (0..255), or -errno if it could
 * not be started, or 128+signal. */
int proc_run(const struct lw_cmd *c, const char *const argv[]);
/* As proc_run, not echoed, stdout collected into *out (caller frees). */
int proc_capture(const struct lw_cmd *c, const char *const argv[],
		 char **out);
/* Starts argv in the background; its pid or -errno. Reap with
 * proc_stop(). */
pid_t proc_spawn(const struct lw_cmd *c, const char *const argv[]);
/* SIGTERM, wait up to ms, then SIGKILL; reaps pid. */
void proc_stop(pid_t pid, int ms);
/* Whether pid (not necessarily our child) still exists. */
bool proc_alive(pid_t pid);

/* /proc/PID/cmdline: whether arg is one of the arguments after argv[0];
 * argv[0]'s base name into prog (cut to size). False when unreadable. */
bool proc_cmdline_has(const char *pid, const char *arg, char *prog,
		      size_t size);

/*
 * The processes running program (base name) with iface among their
 * arguments: the daemon wg-quick started for iface. Fills up to max pids,
 * returns how many.
 */
size_t proc_find_daemon(const char *program, const char *iface, pid_t *pids,
			size_t max);

#endif
