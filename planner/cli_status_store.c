// SPDX-License-Identifier: MIT
/*
 * lanwire status --store DIR [--json] (ctl_report.h, docs/control.md):
 * every node of a published store with what its agent last reported
 * (DIR/reports/, written by the hubs' serve): the epoch published against
 * applied, when it reported, each peer's handshake age. Peers are named
 * by the description's keys when the description (-f) is there.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl_report.h"
#include "desc.h"
#include "keys.h"
#include "status.h"

struct namer {
	struct lw_desc d;
	struct lw_keyring kr;
	bool tried, loaded; /* tried: d and kr to be freed */
};

static const char *name_peer(const uint8_t key[LW_KEY_LEN], void *arg)
{
	struct namer *n = arg;
	long i;

	if (!n->loaded)
		return NULL;
	i = status_find_node(&n->d, &n->kr, key);
	return i < 0 ? NULL : n->d.nodes[i].name;
}

int cli_status_store(struct cli *c, const char *store, bool json)
{
	struct namer n = { 0 };
	struct ctl_status s;
	struct timespec now;
	char err[512];
	uint64_t ms;
	json_t *o;
	char *text;
	int r;

	if (ctl_status_load(&s, store, err, sizeof(err)))
		return cli_fail("%s (run lanwire publish --store %s)", err,
				store);
	n.tried = c->file_given || access(c->file, F_OK) == 0;
	if (n.tried)
		n.loaded = cli_load_checked(c, &n.d, &n.kr, false) == 0;
	clock_gettime(CLOCK_REALTIME, &now);
	ms = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
	r = 0;
	if (json) {
		o = ctl_status_json(&s, name_peer, &n, ms);
		text = o ? json_dumps(o, JSON_COMPACT) : NULL;
		if (text)
			printf("%s\n", text);
		else
			r = cli_fail("out of memory");
		free(text);
		json_decref(o);
	} else {
		ctl_status_print(stdout, &s, name_peer, &n, ms);
	}
	if (n.tried) {
		keyring_free(&n.kr);
		desc_free(&n.d);
	}
	ctl_status_free(&s);
	return r;
}
