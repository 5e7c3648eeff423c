/* SPDX-License-Identifier: MIT */
/*
 * Which machines a change of the description touches: both descriptions
 * (before and after) are planned and rendered for every node, and the
 * rendered files compared by name and text (or the description now with
 * the files rendered earlier into a directory, diff_rendered). A node
 * whose files differ must be redeployed; a node only in the new
 * description is new, one only in the old is to be taken down.
 *
 * Between two descriptions keys take no part: the two renderings use the same stand-in keys
 * (the real public keys where the key directory or the description has
 * them, fixed stand-ins for private and preshared keys, which never
 * differ between the two since both use one key directory), so no secret
 * is read into a comparison and a node whose keys were deleted with its
 * section still renders.
 *
 * Ownership: struct lw_diff is the caller's; diff_free() releases it.
 */
#ifndef LW_DIFF_H
#define LW_DIFF_H

#include <stdbool.h>
#include <stdio.h>

#include "model.h"
#include "render.h"

enum lw_change { LW_CHANGE_NONE, LW_CHANGE_FILES, LW_CHANGE_NEW,
		 LW_CHANGE_GONE };

/* One node's change; files lists the changed file names, ", "-joined. */
struct lw_node_change {
	char *name;
	enum lw_change change;
	char *files;
};

struct lw_diff {
	struct lw_node_change *v;
	size_t n, cap;
};

/*
 * Compares every node of old and new (both checked, without errors)
 * rendered in fmt. keys_dir is where public keys are read from. Only
 * nodes that changed are listed: new's order first, then the gone ones.
 * 0, -ENOMEM, or -ENOKEY with a message in err.
 */
int diff_descs(struct lw_desc *old, struct lw_desc *new,
	       const char *keys_dir, enum lw_format fmt, struct lw_diff *out,
	       char *err, size_t errlen);
/*
 * Compares what d renders now (with the real keys in kr, and hook_dir
 * as render's --hook-dir) with a directory render --all -o DIR wrote:
 * DIR/NODE/FILE. A node without its
 * directory is new, a directory without its node gone; files are
 * compared in constant time (they hold keys). 0, -ENOMEM, or -ENOKEY /
 * -errno with a message in err.
 */
int diff_rendered(struct lw_desc *d, const struct lw_keyring *kr,
		  const char *dir, enum lw_format fmt, const char *hook_dir,
		  struct lw_diff *out, char *err, size_t errlen);
/* Appends a change (files taken over, may be NULL). 0 or -ENOMEM. */
int diff_add_change(struct lw_diff *df, const char *name,
		    enum lw_change change, char *files);
/* "NODE: FILE, FILE" per changed node (with details), then
 * "nodes to redeploy: A, B" (or "none") and, if any,
 * "nodes to take down: C". */
void diff_print(FILE *f, const struct lw_diff *df, bool details);
void diff_free(struct lw_diff *df);

#endif
