/* SPDX-License-Identifier: MIT */
/*
 * Key rotation, the node's side (docs/control.md, "Key rotation"):
 * `lanwire rotate NODE --key FILE` makes the node's next key pair in
 * FILE.next (0600, atomic; the private key never leaves the node) and
 * prints its public key for the admin, who writes it into the
 * description (`public-key =`) and publishes. The node's agent, handed a
 * state that names the next key, opens it with FILE.next, applies it and
 * then moves FILE.next over FILE.
 *
 * Ownership: keys are the caller's buffers; the functions wipe what they
 * read into their own.
 */
#ifndef LW_CTL_ROTATE_H
#define LW_CTL_ROTATE_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

#define CTL_NEXT_SUFFIX ".next"

/* FILE.next of key_path into path (size bytes). 0 or -ENAMETOOLONG. */
int ctl_next_path(char *path, size_t size, const char *key_path);
/* The private key in FILE.next. 0, -ENOENT (none), -EINVAL or -errno. */
int ctl_next_key_load(const char *key_path, uint8_t next[LW_KEY_LEN]);
/* Makes FILE.next (a new private key, 0600, atomic) unless it is there;
 * its private key in next. *made says which. 0 or -errno. */
int ctl_next_key_make(const char *key_path, uint8_t next[LW_KEY_LEN],
		      bool *made);
/* FILE.next renamed over FILE (atomic). 0 or -errno. */
int ctl_next_key_promote(const char *key_path);

#endif
