// SPDX-License-Identifier: MIT
/*
 * The node's next key pair (ctl_rotate.c): made once as KEY.next, 0600,
 * the same key read back and made "again"; promoted over KEY; a damaged
 * KEY.next refused, never replaced.
 */
#include "ctl_rotate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "key.h"
#include "test.h"

int main(void)
{
	char dir[] = "/tmp/lw-rotate-XXXXXX", key[128], next[160], cmd[160];
	uint8_t a[32], b[32], c[32];
	struct stat st;
	bool made;
	FILE *f;

	if (!mkdtemp(dir))
		return 1;
	snprintf(key, sizeof(key), "%s/wg0.key", dir);
	CHECK_EQ(ctl_next_path(next, sizeof(next), key), 0);
	CHECK(!strcmp(next + strlen(dir), "/wg0.key.next"));
	CHECK_EQ(ctl_next_path(next, 8, key), -ENAMETOOLONG);
	CHECK_EQ(ctl_next_path(next, sizeof(next), key), 0);
	CHECK_EQ(ctl_next_key_load(key, a), -ENOENT);
	CHECK_EQ(ctl_next_key_make(key, a, &made), 0);
	CHECK(made);
	CHECK(stat(next, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_EQ(ctl_next_key_make(key, b, &made), 0);
	CHECK(!made);
	CHECK(!memcmp(a, b, 32));
	CHECK_EQ(ctl_next_key_load(key, c), 0);
	CHECK(!memcmp(a, c, 32));
	CHECK_EQ(ctl_next_key_promote(key), 0);
	CHECK(stat(next, &st) != 0);
	CHECK_EQ(ctl_next_key_load(key, c), -ENOENT);
	CHECK_EQ(ctl_next_key_promote(key), -ENOENT);
	/* a damaged KEY.next: refused, and make does not replace it */
	f = fopen(next, "w");
	if (f) {
		fputs("not a key\n", f);
		fclose(f);
	}
	CHECK_EQ(ctl_next_key_load(key, c), -EINVAL);
	CHECK_EQ(ctl_next_key_make(key, c, &made), -EINVAL);
	CHECK(!made);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK_EQ(system(cmd), 0);
	return test_finish("ctl_rotate");
}
