// SPDX-License-Identifier: MIT
/*
 * lanwire rotate NODE --key FILE (ctl_rotate.h, docs/control.md): run on
 * the node (the admin's --public-key side: cli_rotate_admin.c). Makes the node's next key pair in FILE.next (kept if it is
 * already there, so running it twice names the same key) and prints its
 * public key with what the admin does next. Nothing on the interface
 * changes until the agent is handed a state that names the new key.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "ctl_rotate.h"
#include "key.h"
#include "keys.h"

int cmd_rotate(int argc, char *argv[], struct cli *c)
{
	static const struct option opts[] = {
		COMMON_OPTS, { "key", required_argument, NULL, 'K' },
		{ "public-key", required_argument, NULL, 'P' },
		{ "store", required_argument, NULL, 's' }, { 0 }
	};
	uint8_t next[LW_KEY_LEN], pub[LW_KEY_LEN];
	char text[LW_KEY_B64_LEN + 1], path[4096];
	const char *key_path = NULL, *public_key = NULL, *store = NULL;
	bool made;
	int ch, r;

	while ((ch = getopt_long(argc, argv, "f:k:h", opts, NULL)) != -1) {
		if (ch == 'h')
			return cli_help("rotate");
		if (ch == 'K')
			key_path = optarg;
		else if (ch == 'P')
			public_key = optarg;
		else if (ch == 's')
			store = optarg;
		else if (!cli_common_opt(c, ch))
			return cli_usage_error("rotate", "unknown option");
	}
	if (optind == argc - 1 && public_key && !key_path)
		return cli_rotate_admin(c, argv[optind], public_key, store);
	if (optind != argc - 1 || !key_path || public_key || store)
		return cli_usage_error("rotate", "name the node and either its "
						 "--key FILE (on the node) or "
						 "--public-key KEY [--store "
						 "DIR] (the admin)");
	r = ctl_next_path(path, sizeof(path), key_path);
	if (!r)
		r = ctl_next_key_make(key_path, next, &made);
	if (r)
		return cli_fail("cannot make %s: %s", path, strerror(-r));
	key_public_from_private(pub, next);
	crypto_wipe(next, sizeof(next));
	key_to_base64(text, pub);
	printf("%s: %s key pair in %s; its public key:\n%s\n"
	       "On the admin's machine: lanwire rotate %s --public-key %s "
	       "--store DIR. The agent switches 2 s after that publish.\n",
	       argv[optind], made ? "new" : "the pending", path, text,
	       argv[optind], text);
	return 0;
}
