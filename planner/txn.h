/* SPDX-License-Identifier: MIT */
/*
 * All-or-nothing file writes for the planner. A command that writes keys,
 * a description or rendered configurations stages every file in one
 * struct lw_txn and commits once: each file is written to a temporary file
 * beside it (mode set before the first byte, fsync), and only when all of
 * them are on disk are they renamed into place, new files first and
 * replaced files last, then the directories are synced. If any write or
 * rename fails, the temporary files and the files this commit created are
 * removed, so a failed command leaves nothing half-written.
 *
 * Ownership: the caller owns struct lw_txn; txn_add() copies the data
 * (secret data is wiped by txn_free()).
 */
#ifndef LW_TXN_H
#define LW_TXN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct lw_txn_file {
	char *path;
	char *data;
	size_t len;
	mode_t mode;
	bool secret;
	bool existed; /* known at commit: replaced, not created */
	char *tmp;    /* while committing */
	bool renamed;
};

struct lw_txn {
	struct lw_txn_file *files;
	size_t n_files, cap_files;
	char **unlinks; /* removed after a successful commit */
	size_t n_unlinks, cap_unlinks;
	const char *failed_path; /* after a failed commit: which file */
	/* Tests only: fail step N (1-based; writes of each file, then each
	 * rename) with -EIO as if the disk had. 0: never. */
	unsigned int fail_at;
};

void txn_init(struct lw_txn *t);
/* Stages path with len bytes of data and mode. 0 or -ENOMEM. */
int txn_add(struct lw_txn *t, const char *path, const void *data, size_t len,
	    mode_t mode, bool secret);
/* Stages removal of path after the writes succeed. 0 or -ENOMEM. */
int txn_unlink(struct lw_txn *t, const char *path);
/* 0, or -errno with t->failed_path set and nothing changed on disk. */
int txn_commit(struct lw_txn *t);
void txn_free(struct lw_txn *t);

/* Reads a whole regular file of fewer than max bytes. Caller frees *text
 * (NUL-terminated). 0 or -errno (-EFBIG when too large). */
int lw_read_file(const char *path, char **text, size_t *len, size_t max);
/* Makes directory dir with mode 0700 unless it exists as a directory.
 * *created tells whether this call made it. 0 or -errno. */
int lw_mkdir_private(const char *dir, bool *created);

#endif
