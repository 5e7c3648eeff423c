// SPDX-License-Identifier: MIT
/*
 * lanwire agent's parts (planner/cli_agent.c, the loop and the applying;
 * planner/cli_agent_rotate.c, a key rotation's steps, ctl_switch.h).
 * Private to those two files.
 *
 * Ownership: struct agent lives in cmd_agent(); it owns the last good
 * envelope's text and the private key (wiped at exit).
 */
#ifndef LANWIRE_CLI_AGENT_H
#define LANWIRE_CLI_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "apply.h"
#include "ctl.h"
#include "model.h"

#define AGENT_MAX_HUBS 16
#define AGENT_RETRY_SECONDS 2

struct agent {
	const char *node, *key_path, *state_dir, *run_dir, *user, *daemon;
	char network[LW_NAME_MAX + 1];
	EVP_PKEY *pub;
	uint8_t priv[LW_KEY_LEN];
	/* lanwire join's bootstrap key: opens the state published at invite
	 * time (named for it) until the admin publishes this node's own key */
	const char *boot_path;
	bool has_boot;
	uint8_t boot[LW_KEY_LEN];
	uint64_t epoch;	    /* applied */
	char *good;	    /* the last good envelope's text */
	char iface[LW_IFNAME_MAX + 1]; /* its interface, for reports */
	char hubs[AGENT_MAX_HUBS][LW_PREFIX_STRLEN];
	size_t n_hubs, n_given;
	bool once;
	bool hub_lost; /* said so; said again only after an answer */
	/* a key rotation's next step (ctl_switch.h), Unix ms; 0 none: the
	 * last good state is applied again then */
	uint64_t step_at;
	bool said_no_replaces; /* the daemon is not lanwired: said once */
	bool replaces_ok;      /* the daemon took lanwire_replaces */
};

/* Now, Unix ms (the clock switch_at is given in). */
uint64_t agent_now_ms(void);

/* A line to stdout: "agent NODE: ...". */
void agent_say(const struct agent *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- a key rotation's steps (cli_agent_rotate.c) ---- */

/* A state this node's key does not open may name the next key
 * (`lanwire rotate`, ctl_rotate.h): planned with KEY.next then. 0 when
 * it opens (*rotating set, next holds the key, path its file). */
int agent_plan_with_next(struct agent *a, const struct ctl_envelope *e,
			 struct ctl_plan *cp, uint8_t next[LW_KEY_LEN],
			 char *path, size_t size, bool *rotating);

/* The rotation done: KEY.next becomes the key; next wiped. */
void agent_promote_next(struct agent *a, uint8_t next[LW_KEY_LEN]);

/* The rotating node before its switch time: cp applied with the key it
 * has. 0 or -ENOMEM. */
int agent_keep_key_until_switch(struct agent *a, struct ctl_plan *cp);

/* apply_up() with the peers the rotation schedule has at this moment;
 * a->step_at set to its next step (or step, if sooner). 0 or 1. */
int agent_apply_phase(struct agent *a, struct ctl_plan *cp,
		      const struct lw_apply *o, uint64_t step);

#endif
