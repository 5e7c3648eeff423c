// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness of the planner's key files (planner/keys.c): the
 * first input byte picks what the rest is.
 *   bit 0 clear: text for key_from_base64(), cut at its first NUL. An
 *     accepted key prints back to the very same text (one canonical form),
 *     and a refused one leaves the output zeroed (common/key.c).
 *   bit 0 set: the contents of one file of a key directory, read by
 *     keyring_load() for a two-node description (hub z, client a whose
 *     public-key is in the description): bits 1-2 pick z.key, a.key or
 *     a+z.psk. The file must load exactly when its text, less one
 *     trailing newline, is a key key_from_base64() takes; anything else
 *     is one error diagnostic and no key. z's public key is derived from
 *     the file; a's private key is never kept, and is an error when it
 *     does not match the description's public-key.
 * The key directory is a private temporary directory, removed at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "desc.h"
#include "keys.h"

/* Key files over 255 bytes are refused unread (lw_read_file's limit). */
#define MAX_INPUT 1024

enum { FILE_HUB_KEY, FILE_CLIENT_KEY, FILE_PSK, N_FILES };

static char dir[64];
static char *desc_text;
/* a's key pair: the description carries the public half. */
static uint8_t client_private[LW_KEY_LEN], client_public[LW_KEY_LEN];

static const char *file_name(unsigned which)
{
	static const char *const names[N_FILES] = { "z.key", "a.key",
						    "a+z.psk" };
	return names[which];
}

static void remove_dir(void)
{
	char path[128];
	unsigned i;

	for (i = 0; i < N_FILES; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, file_name(i));
		unlink(path);
	}
	rmdir(dir);
}

static void setup(void)
{
	char pub[LW_KEY_B64_LEN + 1];

	if (crypto_init())
		abort();
	snprintf(dir, sizeof(dir), "/tmp/lanwire-fuzz-keys.XXXXXX");
	if (!mkdtemp(dir))
		abort();
	atexit(remove_dir);
	memset(client_private, 0x61, sizeof(client_private));
	client_private[0] &= 248;
	client_private[31] = (client_private[31] & 127) | 64;
	x25519_public_from_private(client_public, client_private);
	key_to_base64(pub, client_public);
	if (asprintf(&desc_text,
		     "[network]\nname = fz\ntunnel = 10.9.0.0/16\n"
		     "infra-pool = 10.9.0.0/24\nclient-pool = 10.9.9.0/24\n"
		     "[hub z]\nendpoint = 203.0.113.1:51820\n"
		     "[client a]\npublic-key = %s\n",
		     pub) < 0)
		abort();
}

/* key_from_base64 on text: canonical round trip, zeroed on refusal. */
static void fuzz_text(const uint8_t *data, size_t size)
{
	char text[MAX_INPUT + 1], back[LW_KEY_B64_LEN + 1];
	uint8_t key[LW_KEY_LEN];
	size_t i;

	memcpy(text, data, size);
	text[size] = '\0';
	memset(key, 0xa5, sizeof(key));
	if (key_from_base64(key, text)) {
		for (i = 0; i < sizeof(key); i++)
			if (key[i] != 0)
				__builtin_trap();
		return;
	}
	key_to_base64(back, key);
	if (strcmp(back, text))
		__builtin_trap();
}

/* Whether keyring_load should take the file: lw_read_file's size limit,
 * one trailing newline dropped, the rest up to a NUL a canonical key. */
static bool file_is_key(const uint8_t *data, size_t size, uint8_t *key)
{
	char text[MAX_INPUT + 1];

	if (size >= 256)
		return false;
	memcpy(text, data, size);
	text[size] = '\0';
	if (size && text[size - 1] == '\n')
		text[size - 1] = '\0';
	return key_from_base64(key, text) == 0;
}

static void write_file(const char *path, const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
}

static void check_loaded(const struct lw_keyring *kr, unsigned which,
			 bool valid, const uint8_t *key, size_t errors)
{
	const struct lw_node_keys *z = &kr->nodes[0], *a = &kr->nodes[1];
	uint8_t derived[LW_KEY_LEN];
	bool matches;

	switch (which) {
	case FILE_HUB_KEY:
		if (z->has_private != valid || errors != !valid)
			__builtin_trap();
		if (!valid)
			return;
		x25519_public_from_private(derived, key);
		if (memcmp(z->private_key, key, LW_KEY_LEN) ||
		    memcmp(z->public_key, derived, LW_KEY_LEN))
			__builtin_trap();
		return;
	case FILE_CLIENT_KEY:
		if (valid)
			x25519_public_from_private(derived, key);
		matches = valid && !memcmp(derived, client_public, LW_KEY_LEN);
		if (!a->on_device || a->has_private ||
		    !crypto_is_zero(a->private_key, LW_KEY_LEN) ||
		    memcmp(a->public_key, client_public, LW_KEY_LEN) ||
		    errors != !matches)
			__builtin_trap();
		return;
	default:
		if (kr->n_psks != 1 || kr->psks[0].present != valid ||
		    errors != !valid ||
		    (valid && memcmp(kr->psks[0].key, key, LW_KEY_LEN)))
			__builtin_trap();
	}
}

static void fuzz_file(unsigned which, const uint8_t *data, size_t size)
{
	char path[128];
	uint8_t key[LW_KEY_LEN];
	struct lw_keyring kr;
	struct lw_desc d;
	size_t before;
	bool valid = file_is_key(data, size, key);

	snprintf(path, sizeof(path), "%s/%s", dir, file_name(which));
	write_file(path, data, size);
	if (desc_parse(&d, "fuzz.conf", desc_text, strlen(desc_text)) ||
	    d.n_errors || d.n_nodes != 2)
		abort(); /* the harness's own description must be clean */
	before = d.n_errors;
	if (keyring_load(&kr, &d, dir))
		abort();
	check_loaded(&kr, which, valid, key, d.n_errors - before);
	keyring_free(&kr);
	desc_free(&d);
	unlink(path);
	crypto_wipe(key, sizeof(key));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!desc_text)
		setup();
	if (size < 1 || size - 1 > MAX_INPUT)
		return 0;
	if (data[0] & 1)
		fuzz_file((data[0] >> 1) % N_FILES, data + 1, size - 1);
	else
		fuzz_text(data + 1, size - 1);
	return 0;
}
