/* SPDX-License-Identifier: MIT */
/*
 * Text edits of a description for lanwire add and remove. The file is
 * edited as lines, never re-printed from the model, so comments, order
 * and formatting the user wrote survive and a change is a small diff:
 * a new section goes after the last section of its kind (else before
 * [policy], else at the end); a removed section takes the comment lines
 * directly above its header with it.
 *
 * Ownership: *out is the caller's to free.
 */
#ifndef LW_EDIT_H
#define LW_EDIT_H

#include <stddef.h>

/* Inserts section (its full text, "[kind name]\n..." ending in '\n').
 * 0 or -ENOMEM. */
int edit_add_section(const char *text, size_t len, const char *kind,
		     const char *section, char **out);
/* Removes [kind name]. 0, -ENOENT if there is no such section, -ENOMEM. */
int edit_remove_section(const char *text, size_t len, const char *kind,
			const char *name, char **out);
/* Inserts lines (each ending in '\n') into [kind name], after its last
 * key line. 0, -ENOENT if there is no such section, -ENOMEM. */
int edit_add_lines(const char *text, size_t len, const char *kind,
		   const char *name, const char *lines, char **out);

#endif
