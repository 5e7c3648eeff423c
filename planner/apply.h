/* SPDX-License-Identifier: MIT */
/*
 * lanwire up / down: a node's plan applied to this host (or to a network
 * namespace, for the lab), every command echoed "[#] ..." as wg-quick
 * does, and undone exactly.
 *
 *   up    RUN/IFACE.conf (the wg-quick configuration without its host
 *         hooks) brought up by wg-quick with lanwired as the userspace
 *         implementation, or, if IFACE already exists, its peers synced
 *         with wg syncconf; then each sysctl the plan needs (its old value
 *         kept in RUN/IFACE.state when up changed it); then RUN/IFACE.nft,
 *         which replaces table inet lanwire atomically. Running up twice
 *         changes nothing the second time.
 *   down  table inet lanwire deleted, wg-quick down (the daemon exits
 *         when its interface goes; it is waited for and, if it lingers,
 *         stopped), the sysctls up changed set back, RUN's files removed.
 *
 * Ownership: everything is the caller's; nothing is kept between calls
 * but the files in RUN.
 */
#ifndef LW_APPLY_H
#define LW_APPLY_H

#include <stdio.h>

#include "model.h"

#define LW_RUN_DIR "/run/lanwire"

struct lw_apply {
	const char *run_dir; /* LW_RUN_DIR unless told */
	const char *daemon;  /* lanwired's path */
	const char *netns;   /* apply inside this namespace; NULL: here */
	const char *source;  /* description name, for rendered headers */
	FILE *echo;	     /* "[#] ..." lines; NULL: silent */
	int out_fd;	     /* the commands' output; -1: inherited */
};

/* 0, or 1 with a message on stderr. */
int apply_up(const struct lw_node_plan *pl, const struct lw_apply *o);
int apply_down(const struct lw_node_plan *pl, const struct lw_apply *o);
/* Whether interface iface exists (in o->netns). */
bool apply_iface_exists(const struct lw_apply *o, const char *iface);
/* The lanwired to use: --daemon, else lanwired beside this program
 * (argv0), else "lanwired" from PATH. Returns malloc'd text. */
char *apply_default_daemon(const char *argv0);

#endif
