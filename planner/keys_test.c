// SPDX-License-Identifier: MIT
/*
 * Tests for keys.c and txn.c: base64 against known texts (RFC 7748's
 * Alice, whose public key wg pubkey prints as below) and its strictness;
 * the all-or-nothing commit, failing at every step in turn and checking
 * that the directory is exactly as before; the key directory (made keys,
 * modes, reading them back, a malformed key file, a key file contradicting
 * an on-device public key).
 */
#include "keys.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "key.h"
#include "desc.h"
#include "test.h"
#include "txn.h"

static const char alice_priv[] = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=";
static const char alice_pub[] = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=";

static void test_base64(void)
{
	uint8_t key[LW_KEY_LEN], pub[LW_KEY_LEN], seq[LW_KEY_LEN];
	char text[LW_KEY_B64_LEN + 1];
	size_t i;

	for (i = 0; i < LW_KEY_LEN; i++)
		seq[i] = (uint8_t)i;
	key_to_base64(text, seq);
	CHECK(!strcmp(text, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="));
	CHECK_EQ(key_from_base64(key, text), 0);
	CHECK(!memcmp(key, seq, LW_KEY_LEN));
	CHECK_EQ(key_from_base64(key, alice_priv), 0);
	key_public_from_private(pub, key);
	key_to_base64(text, pub);
	CHECK(!strcmp(text, alice_pub));
	/* Strictness. */
	CHECK_EQ(key_from_base64(key, ""), -EINVAL);
	CHECK_EQ(key_from_base64(key, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"),
		 -EINVAL); /* no padding */
	CHECK_EQ(key_from_base64(key, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9="),
		 -EINVAL); /* unused bits set */
	CHECK_EQ(key_from_base64(key, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd=h8="),
		 -EINVAL);
	CHECK_EQ(key_from_base64(key, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=="),
		 -EINVAL);
	CHECK_EQ(key_from_base64(key, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdH-8="),
		 -EINVAL);
}

/* The directory's entries, sorted, with contents: a fingerprint. */
static char *snapshot(const char *dir)
{
	struct dirent **list;
	char *out = NULL, *text, path[512];
	size_t len, total = 0;
	int n, i;

	n = scandir(dir, &list, NULL, alphasort);
	if (n < 0)
		return strdup("(none)");
	for (i = 0; i < n; i++) {
		if (list[i]->d_name[0] == '.') {
			free(list[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		text = NULL;
		if (lw_read_file(path, &text, &len, 4096))
			text = strdup("-");
		out = realloc(out, total + strlen(list[i]->d_name) +
					   strlen(text) + 3);
		total += (size_t)sprintf(out + total, "%s=%s;",
					 list[i]->d_name, text);
		free(text);
		free(list[i]);
	}
	free(list);
	return out ? out : strdup("");
}

static void stage_three(struct lw_txn *t, const char *dir)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/new1", dir);
	txn_add(t, path, "one\n", 4, 0600, true);
	snprintf(path, sizeof(path), "%s/old", dir);
	txn_add(t, path, "replaced\n", 9, 0644, false);
	snprintf(path, sizeof(path), "%s/new2", dir);
	txn_add(t, path, "two\n", 4, 0600, false);
	snprintf(path, sizeof(path), "%s/gone", dir);
	txn_unlink(t, path);
}

static void test_txn(void)
{
	char dir[] = "/tmp/lanwire-txn-XXXXXX", path[512], *before, *after;
	struct lw_txn t;
	struct stat st;
	unsigned int step;
	FILE *f;

	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	snprintf(path, sizeof(path), "%s/old", dir);
	f = fopen(path, "w");
	fputs("original\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/gone", dir);
	f = fopen(path, "w");
	fclose(f);
	before = snapshot(dir);
	/* 3 writes then 3 renames: fail each in turn, nothing changes. */
	for (step = 1; step <= 6; step++) {
		txn_init(&t);
		stage_three(&t, dir);
		t.fail_at = step;
		CHECK_EQ(txn_commit(&t), -EIO);
		CHECK(t.failed_path != NULL);
		txn_free(&t);
		after = snapshot(dir);
		CHECK(!strcmp(before, after));
		if (strcmp(before, after))
			fprintf(stderr, "  step %u: %s\n  was %s\n", step, after,
				before);
		free(after);
	}
	txn_init(&t);
	stage_three(&t, dir);
	CHECK_EQ(txn_commit(&t), 0);
	txn_free(&t);
	after = snapshot(dir);
	CHECK(!strcmp(after, "new1=one\n;new2=two\n;old=replaced\n;"));
	free(after);
	snprintf(path, sizeof(path), "%s/new1", dir);
	CHECK(!stat(path, &st) && (st.st_mode & 0777) == 0600);
	snprintf(path, sizeof(path), "%s/old", dir);
	CHECK(!stat(path, &st) && (st.st_mode & 0777) == 0644);
	/* A rename onto a directory fails for real: rolled back too. */
	snprintf(path, sizeof(path), "%s/adir", dir);
	mkdir(path, 0700);
	before = (free(before), snapshot(dir));
	txn_init(&t);
	snprintf(path, sizeof(path), "%s/new3", dir);
	txn_add(&t, path, "3", 1, 0600, false);
	snprintf(path, sizeof(path), "%s/adir", dir);
	txn_add(&t, path, "x", 1, 0600, false);
	CHECK(txn_commit(&t) < 0);
	txn_free(&t);
	after = snapshot(dir);
	CHECK(!strcmp(before, after));
	free(after);
	free(before);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	CHECK_EQ(system(path), 0);
}

static const char desc_text[] =
	"[network]\ntunnel = 10.9.0.0/16\n"
	"[hub z]\nendpoint = 198.51.100.1:51820\n"
	"[client e]\n"
	"[client phone]\npublic-key = hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=\n"
	"[policy]\nallow = e <-> phone\n";

static void test_keyring(void)
{
	char dir[] = "/tmp/lanwire-keys-XXXXXX", path[600], cmd[600];
	struct lw_keyring kr, again;
	unsigned int made;
	struct lw_desc d;
	struct lw_txn t;
	struct stat st;
	FILE *f;

	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	CHECK_EQ(desc_parse(&d, "t.conf", desc_text, strlen(desc_text)), 0);
	CHECK_EQ(check_desc(&d), 0);
	CHECK_EQ(keyring_load(&kr, &d, dir), 0);
	CHECK(kr.nodes[2].on_device && kr.nodes[2].has_public);
	CHECK(!kr.nodes[0].has_private);
	CHECK_EQ(kr.n_psks, 2); /* z+e, phone+z */
	txn_init(&t);
	CHECK_EQ(keys_stage_missing(&kr, &d, &t, &made), 0);
	CHECK_EQ(made, 4); /* z, e, two preshared keys; none for phone */
	CHECK_EQ(txn_commit(&t), 0);
	txn_free(&t);
	snprintf(path, sizeof(path), "%s/e.key", dir);
	CHECK(!stat(path, &st) && (st.st_mode & 0777) == 0600);
	snprintf(path, sizeof(path), "%s/phone.key", dir);
	CHECK(stat(path, &st) && errno == ENOENT);
	snprintf(path, sizeof(path), "%s/phone+z.psk", dir);
	CHECK(!stat(path, &st));
	/* Read back: same keys. */
	CHECK_EQ(keyring_load(&again, &d, dir), 0);
	CHECK(again.nodes[1].has_private &&
	      !memcmp(again.nodes[1].public_key, kr.nodes[1].public_key, 32));
	CHECK(keyring_psk(&again, 2, 0) && keyring_psk(&again, 0, 2)->present);
	CHECK_EQ(check_keys(&d, &again, true), 0);
	keyring_free(&again);
	keyring_free(&kr);
	/* A malformed key file and a key contradicting public-key. */
	snprintf(path, sizeof(path), "%s/e.key", dir);
	f = fopen(path, "w");
	fputs("not a key\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/phone.key", dir);
	f = fopen(path, "w");
	fputs("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", f);
	fclose(f);
	CHECK_EQ(keyring_load(&kr, &d, dir), 0);
	CHECK_EQ(d.n_errors, 2);
	CHECK(!kr.nodes[1].has_private);
	keyring_free(&kr);
	desc_free(&d);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK_EQ(system(cmd), 0);
}

static void test_paths(void)
{
	char *s;

	s = keys_default_dir("examples/star.conf");
	CHECK(!strcmp(s, "examples/star.keys"));
	free(s);
	s = keys_default_dir("net");
	CHECK(!strcmp(s, "net.keys"));
	free(s);
	s = keys_psk_path("k", "z", "a");
	CHECK(!strcmp(s, "k/a+z.psk"));
	free(s);
}

int main(void)
{
	test_base64();
	test_txn();
	test_keyring();
	test_paths();
	return test_finish("planner_keys");
}
