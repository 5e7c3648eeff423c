// SPDX-License-Identifier: MIT
/*
 * The node's next key pair for a rotation (ctl_rotate.h): made, read and
 * promoted over the current key file.
 */
#include "ctl_rotate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "key.h"
#include "keys.h"
#include "txn.h"

int ctl_next_path(char *path, size_t size, const char *key_path)
{
	int n = snprintf(path, size, "%s" CTL_NEXT_SUFFIX, key_path);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int ctl_next_key_load(const char *key_path, uint8_t next[LW_KEY_LEN])
{
	char path[4096], *text = NULL;
	size_t len;
	int r = ctl_next_path(path, sizeof(path), key_path);

	if (!r)
		r = lw_read_file(path, &text, &len, 256);
	if (r)
		return r;
	text[strcspn(text, "\n")] = '\0';
	r = key_from_base64(next, text) ? -EINVAL : 0;
	crypto_wipe(text, len);
	free(text);
	return r;
}

int ctl_next_key_make(const char *key_path, uint8_t next[LW_KEY_LEN],
		      bool *made)
{
	char path[4096], text[LW_KEY_B64_LEN + 2];
	struct lw_txn t;
	int r = ctl_next_key_load(key_path, next);

	*made = false;
	if (r != -ENOENT)
		return r;
	r = ctl_next_path(path, sizeof(path), key_path);
	if (!r)
		r = key_generate_private(next);
	if (r)
		return r;
	key_to_base64(text, next);
	strcat(text, "\n");
	txn_init(&t);
	r = txn_add(&t, path, text, strlen(text), 0600, true);
	if (!r)
		r = txn_commit(&t);
	txn_free(&t);
	crypto_wipe(text, sizeof(text));
	*made = !r;
	if (r)
		crypto_wipe(next, LW_KEY_LEN);
	return r;
}

int ctl_next_key_promote(const char *key_path)
{
	char path[4096];
	int r = ctl_next_path(path, sizeof(path), key_path);

	if (!r && rename(path, key_path))
		r = -errno;
	return r;
}
