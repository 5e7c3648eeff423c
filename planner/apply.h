/* SPDX-License-Identifier: MIT */
/*
 * lanwire up / down: a node's plan applied to this host (or to a network
 * namespace, for the lab), every command echoed "[#] ..." as wg-quick
 * does, every change reported as one line, and undone exactly.
 *
 *   up    converges: an interface of the node's name is taken as ours only
 *         if RUN/IFACE.state records it (same ifindex); any other is
 *         refused, named with the process serving it, and left untouched.
 *         A missing interface is made by starting lanwired (as user
 *         o->user, keeping only CAP_NET_ADMIN); then MTU, private key,
 *         listen port (only if the plan names one: a port the daemon chose
 *         is kept), peers (only those that differ, with `wg set`, so other
 *         sessions survive), addresses, routes, sysctls (old values kept)
 *         and the nft table are brought to the plan by difference, and
 *         what up added is recorded in RUN/IFACE.state (0600, atomic; no
 *         key is ever written to RUN). Prints "NODE: nothing to change"
 *         when converged. A failed first up removes what it made.
 *   down  removes what the state records: the nft table, the interface
 *         by its ifindex (even renamed; lanwired exits with it, or is
 *         stopped), the sysctls set back; then checks, and if anything is
 *         left names it, keeps the state and fails. With no state it says
 *         nothing is up (exit 0), or refuses an interface that is not ours.
 *
 * Ownership: everything is the caller's; nothing is kept between calls
 * but the files in RUN.
 */
#ifndef LW_APPLY_H
#define LW_APPLY_H

#include <stdio.h>

#include "model.h"

#define LW_RUN_DIR "/run/lanwire"
/* lanwired's user when up is not told: present on every Debian system. */
#define LW_DEFAULT_USER "nobody"

struct lw_apply {
	const char *run_dir; /* LW_RUN_DIR unless told */
	const char *daemon;  /* lanwired's path */
	const char *netns;   /* apply inside this namespace; NULL: here */
	const char *source;  /* description name, for rendered headers */
	FILE *echo;	     /* "[#] ..." lines; NULL: silent */
	int out_fd;	     /* the commands' output; -1: inherited */
	const char *user;    /* lanwired drops to it; NULL or "root": no */
	FILE *report;	     /* one line per change; NULL: silent */
};

/* 0, or 1 with a message on stderr (down: also 1 when something it
 * should remove is left). */
int apply_up(const struct lw_node_plan *pl, const struct lw_apply *o);
int apply_down(const struct lw_node_plan *pl, const struct lw_apply *o);
/* Whether interface iface exists (in o->netns). */
bool apply_iface_exists(const struct lw_apply *o, const char *iface);
/* The lanwired to use: --daemon, else lanwired beside this program
 * (argv0), else "lanwired" from PATH. Returns malloc'd text. */
char *apply_default_daemon(const char *argv0);

#endif
