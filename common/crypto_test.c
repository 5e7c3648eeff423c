/* SPDX-License-Identifier: MIT */
/*
 * Known-answer tests of common/crypto*.c against published vectors: RFC 7693
 * appendix B and the BLAKE2 reference KAT (testvectors/blake2-kat.h, keyed
 * with 00..1f over inputs 00..n-1) for BLAKE2s, WireGuard's initial chaining
 * key and hash, RFC 7748 sections 5.2 and 6.1 for X25519, RFC 8439 appendix
 * A.5 for ChaCha20-Poly1305 (its nonce 00000000 || 0102030405060708 is
 * WireGuard's layout, so a wrong nonce encoding fails it) and section 2.8.2
 * through raw EVP, and draft-irtf-cfrg-xchacha-03 sections 2.2.1 and A.3.1
 * for HChaCha20 and XChaCha20-Poly1305. HMAC-BLAKE2s and short keyed BLAKE2s
 * have no published vectors: they are checked against an HMAC built here on
 * blake2s() and against values from CPython's hashlib, whose BLAKE2 is its
 * own reference code, not OpenSSL's. Round trips, in-place use, every-byte
 * tampering and per-thread contexts are covered too.
 */
#include "crypto.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "test.h"

#define MAX_VECTOR 512
#define BLAKE2S_BLOCK_LEN 64
#define COOKIE_NONCE_TEST_LEN 24 /* a cookie reply's nonce */

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes hex (whitespace ignored); malformed test data aborts. */
static size_t unhex(uint8_t *out, size_t max, const char *hex)
{
	size_t n = 0;
	int hi = -1;

	for (; *hex; hex++) {
		int v;

		if (isspace((unsigned char)*hex))
			continue;
		v = hex_value(*hex);
		if (v < 0 || (hi >= 0 && n >= max))
			abort();
		if (hi < 0) {
			hi = v;
			continue;
		}
		out[n++] = hi << 4 | v;
		hi = -1;
	}
	if (hi >= 0)
		abort();
	return n;
}

static void print_hex(const char *label, const uint8_t *p, size_t len)
{
	size_t i;

	fprintf(stderr, "  %s ", label);
	for (i = 0; i < len; i++)
		fprintf(stderr, "%02x", p[i]);
	fprintf(stderr, "\n");
}

/* True if got[0..len) is the hex string; prints both when not. */
static bool matches_hex(const uint8_t *got, size_t len, const char *hex)
{
	uint8_t want[MAX_VECTOR];
	size_t n = unhex(want, sizeof(want), hex);

	if (n == len && !memcmp(got, want, len))
		return true;
	print_hex("got: ", got, len);
	print_hex("want:", want, n);
	return false;
}

static void fill_sequence(uint8_t *p, size_t len, uint8_t first)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = first + i;
}

/* ---- BLAKE2s ---------------------------------------------------------- */

static void test_blake2s_rfc7693(void)
{
	uint8_t out[BLAKE2S_HASH_LEN];

	/* RFC 7693 appendix B: BLAKE2s-256("abc"). */
	blake2s(out, sizeof(out), NULL, 0, (const uint8_t *)"abc", 3);
	CHECK(matches_hex(out, sizeof(out),
			  "508c5e8c327c14e2e1a72ba34eeb452f"
			  "37458b209ed63a294d999b4c86675982"));
}

/* BLAKE2 reference repository, testvectors/blake2-kat.h. */
static const struct {
	size_t inlen;
	bool is_keyed;
	const char *hash;
} blake2s_kat[] = {
	{ 0, false, "69217a3079908094e11121d042354a7c"
		    "1f55b6482ca1a51e1b250dfd1ed0eef9" },
	{ 255, false, "f03f5789d3336b80d002d59fdf918bdb"
		      "775b00956ed5528e86aa994acb38fe2d" },
	{ 0, true, "48a8997da407876b3d79c0d92325ad3b"
		   "89cbb754d86ab71aee047ad345fd2c49" },
	{ 1, true, "40d15fee7c328830166ac3f918650f80"
		   "7e7e01e177258cdc0a39b11f598066f1" },
	{ 2, true, "6bb71300644cd3991b26ccd4d274acd1"
		   "adeab8b1d7914546c1198bbe9fc9d803" },
	{ 3, true, "1d220dbe2ee134661fdf6d9e74b41704"
		   "710556f2f6e5a091b227697445dbea6b" },
	{ 63, true, "c65382513f07460da39833cb666c5ed8"
		    "2e61b9e998f4b0c4287cee56c3cc9bcd" },
	{ 64, true, "8975b0577fd35566d750b362b0897a26"
		    "c399136df07bababbde6203ff2954ed4" },
	{ 65, true, "21fe0ceb0052be7fb0f004187cacd7de"
		    "67fa6eb0938d927677f2398c132317a8" },
	{ 255, true, "3fb735061abc519dfe979e54c1ee5bfa"
		     "d0a9d858b3315bad34bde999efd724dd" },
};

static void test_blake2s_kat(void)
{
	uint8_t key[BLAKE2S_KEY_MAX], in[256], out[BLAKE2S_HASH_LEN];
	size_t i;

	fill_sequence(key, sizeof(key), 0);
	fill_sequence(in, sizeof(in), 0);
	for (i = 0; i < sizeof(blake2s_kat) / sizeof(blake2s_kat[0]); i++) {
		bool is_keyed = blake2s_kat[i].is_keyed;

		blake2s(out, sizeof(out), is_keyed ? key : NULL,
			is_keyed ? sizeof(key) : 0, in, blake2s_kat[i].inlen);
		CHECK(matches_hex(out, sizeof(out), blake2s_kat[i].hash));
	}
}

/*
 * Short keyed output, as mac1/mac2 use: the length is in the parameter
 * block, so it must not be a prefix of the 32-byte hash. Values from
 * CPython hashlib.blake2s(bytes(range(116)), key=bytes(range(32)), ...).
 */
static void test_blake2s_short_keyed(void)
{
	uint8_t key[BLAKE2S_KEY_MAX], in[116];
	uint8_t full[BLAKE2S_HASH_LEN], out[BLAKE2S_HASH_LEN];
	size_t outlen;
	bool is_prefix = false;

	fill_sequence(key, sizeof(key), 0);
	fill_sequence(in, sizeof(in), 0);
	blake2s(full, sizeof(full), key, sizeof(key), in, sizeof(in));
	CHECK(matches_hex(full, sizeof(full),
			  "77ac012a3f754dcfeab5eb996be9cd2d"
			  "1f96111b6e49f3994df181f28569d825"));
	blake2s(out, 16, key, sizeof(key), in, sizeof(in));
	CHECK(matches_hex(out, 16, "072e94ffbfc684bd8ab2a1b9dade2fd5"));
	for (outlen = 1; outlen < BLAKE2S_HASH_LEN; outlen++) {
		blake2s(out, outlen, key, sizeof(key), in, sizeof(in));
		is_prefix |= !memcmp(out, full, outlen);
	}
	CHECK(!is_prefix);
	/* A one-byte key. */
	blake2s(out, 16, (const uint8_t *)"k", 1, (const uint8_t *)"abc", 3);
	CHECK(matches_hex(out, 16, "f335237426ff5582d0c607ef240684b5"));
}

/*
 * Keyed BLAKE2s reuses one context per thread: a call must not depend on
 * the key, output length or input of the one before it.
 */
static void test_blake2s_keyed_reuse(void)
{
	uint8_t key[BLAKE2S_KEY_MAX], in[116], out[BLAKE2S_HASH_LEN];
	int i;

	fill_sequence(key, sizeof(key), 0);
	fill_sequence(in, sizeof(in), 0);
	for (i = 0; i < 3; i++) {
		blake2s(out, 16, key, sizeof(key), in, sizeof(in));
		CHECK(matches_hex(out, 16, "072e94ffbfc684bd8ab2a1b9dade2fd5"));
		blake2s(out, 16, (const uint8_t *)"k", 1,
			(const uint8_t *)"abc", 3);
		CHECK(matches_hex(out, 16, "f335237426ff5582d0c607ef240684b5"));
		blake2s(out, sizeof(out), key, sizeof(key), in, 0);
	}
}

/*
 * blake2s_2 hashes a || b for any split. WireGuard's published constants
 * (wireguard-go/-rs INITIAL_CK, INITIAL_HS): Ci = HASH(CONSTRUCTION),
 * Hi = HASH(Ci || IDENTIFIER).
 */
static void test_blake2s_2(void)
{
	static const char construction[] =
		"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
	static const char identifier[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";
	uint8_t ck[BLAKE2S_HASH_LEN], h[BLAKE2S_HASH_LEN];
	uint8_t in[200], whole[BLAKE2S_HASH_LEN], split[BLAKE2S_HASH_LEN];
	bool is_same = true;
	size_t i;

	blake2s(ck, sizeof(ck), NULL, 0, (const uint8_t *)construction,
		strlen(construction));
	CHECK(matches_hex(ck, sizeof(ck),
			  "60e26daef327efc02ec335e2a025d2d0"
			  "16eb4206f87277f52d38d1988b78cd36"));
	blake2s_2(h, ck, sizeof(ck), (const uint8_t *)identifier,
		  strlen(identifier));
	CHECK(matches_hex(h, sizeof(h),
			  "2211b361081ac566691243db458ad532"
			  "2d9c6c662293e8b70ee19c65ba079ef3"));

	fill_sequence(in, sizeof(in), 7);
	blake2s(whole, sizeof(whole), NULL, 0, in, sizeof(in));
	for (i = 0; i <= sizeof(in); i++) {
		blake2s_2(split, in, i, in + i, sizeof(in) - i);
		is_same &= !memcmp(split, whole, sizeof(whole));
	}
	CHECK(is_same);
}

/* Unkeyed short output is documented to abort (crypto.h). */
static void test_blake2s_unkeyed_short_aborts(void)
{
	uint8_t out[16];
	int status = 0;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0)
			dup2(fd, STDERR_FILENO);
		blake2s(out, sizeof(out), NULL, 0, (const uint8_t *)"abc", 3);
		_exit(0);
	}
	CHECK(pid > 0);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

/* ---- HMAC-BLAKE2s ----------------------------------------------------- */

/* RFC 2104 spelled out on blake2s() and blake2s_2(), as a reference. */
static void reference_hmac(uint8_t out[BLAKE2S_HASH_LEN], const uint8_t *key,
			   size_t keylen, const uint8_t *in, size_t inlen)
{
	uint8_t k[BLAKE2S_BLOCK_LEN] = { 0 }, pad[BLAKE2S_BLOCK_LEN];
	uint8_t inner[BLAKE2S_HASH_LEN];
	size_t i;

	if (keylen > BLAKE2S_BLOCK_LEN)
		blake2s(k, BLAKE2S_HASH_LEN, NULL, 0, key, keylen);
	else if (keylen)
		memcpy(k, key, keylen);
	for (i = 0; i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x36;
	blake2s_2(inner, pad, sizeof(pad), in, inlen);
	for (i = 0; i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x5c;
	blake2s_2(out, pad, sizeof(pad), inner, sizeof(inner));
}

static void test_hmac_blake2s(void)
{
	static const size_t keylens[] = { 0, 1, 32, 63, 64, 65, 100, 200 };
	static const size_t inlens[] = { 0, 1, 55, 64, 65, 300 };
	uint8_t key[200], in[300], out[BLAKE2S_HASH_LEN];
	uint8_t want[BLAKE2S_HASH_LEN];
	bool is_same = true;
	size_t i, j;

	/* CPython hmac.new(key, msg, hashlib.blake2s). */
	fill_sequence(key, sizeof(key), 0);
	hmac_blake2s(out, key, 32, (const uint8_t *)"Hi There", 8);
	CHECK(matches_hex(out, sizeof(out),
			  "65043ae3113da6f99a94d81b790a6a08"
			  "dcddef85a14bb01d1aae2ae6d7250146"));
	memset(in, 'x', 200);
	hmac_blake2s(out, key, 100, in, 200);
	CHECK(matches_hex(out, sizeof(out),
			  "834cd67f8ca0de35dfcdfff1510ae170"
			  "f5850f5455aba1c085196c441d7ca7d9"));
	hmac_blake2s(out, NULL, 0, (const uint8_t *)"abc", 3);
	CHECK(matches_hex(out, sizeof(out),
			  "4a79a31b10a8c34b7c89735b8088e6b8"
			  "10b4bad4f36d671b65ca2ea0914952bf"));
	hmac_blake2s(out, key, 64, NULL, 0);
	CHECK(matches_hex(out, sizeof(out),
			  "4a4f8f181c931253202b2d7a77e2a612"
			  "f65580f4b0d56108f7f275f22b63ae00"));

	fill_sequence(in, sizeof(in), 0x80);
	for (i = 0; i < sizeof(keylens) / sizeof(keylens[0]); i++) {
		for (j = 0; j < sizeof(inlens) / sizeof(inlens[0]); j++) {
			hmac_blake2s(out, key, keylens[i], in, inlens[j]);
			reference_hmac(want, key, keylens[i], in, inlens[j]);
			is_same &= !memcmp(out, want, sizeof(out));
		}
	}
	CHECK(is_same);
}

/* ---- X25519 ----------------------------------------------------------- */

static void check_x25519(const char *scalar, const char *u, const char *want)
{
	uint8_t k[X25519_KEY_LEN], pub[X25519_KEY_LEN], out[X25519_KEY_LEN];

	unhex(k, sizeof(k), scalar);
	unhex(pub, sizeof(pub), u);
	CHECK(x25519(out, k, pub));
	CHECK(matches_hex(out, sizeof(out), want));
}

static void test_x25519_rfc7748(void)
{
	/* Section 5.2; the second u has its top bit set, which X25519 masks. */
	check_x25519("a546e36bf0527c9d3b16154b82465edd"
		     "62144c0ac1fc5a18506a2244ba449ac4",
		     "e6db6867583030db3594c1a424b15f7c"
		     "726624ec26b3353b10a903a6d0ab1c4c",
		     "c3da55379de9c6908e94ea4df28d084f"
		     "32eccf03491c71f754b4075577a28552");
	check_x25519("4b66e9d4d1b4673c5ad22691957d6af5"
		     "c11b6421e0ea01d42ca4169e7918ba0d",
		     "e5210f12786811d3f4b7959d0538ae2c"
		     "31dbe7106fc03c3efc4cd549c715a493",
		     "95cbde9476e8907d7aade45cb4b873f8"
		     "8b595a68799fa152e6f8f7647aac7957");
}

/* Section 5.2, iterated: k = u = 9; (k, u) = (X25519(k, u), k). */
static void test_x25519_iterated(void)
{
	uint8_t k[X25519_KEY_LEN] = { 9 }, u[X25519_KEY_LEN] = { 9 };
	uint8_t r[X25519_KEY_LEN];
	bool ok = true;
	int i;

	for (i = 1; i <= 1000; i++) {
		ok &= x25519(r, k, u);
		memcpy(u, k, sizeof(u));
		memcpy(k, r, sizeof(k));
		if (i == 1)
			CHECK(matches_hex(k, sizeof(k),
					  "422c8e7a6227d7bca1350b3e2bb7279f"
					  "7897b87bb6854b783c60e80311ae3079"));
	}
	CHECK(ok);
	CHECK(matches_hex(k, sizeof(k),
			  "684cf59ba83309552800ef566f2f4d3c"
			  "1c3887c49360e3875f2eb94d99532c51"));
}

/* Section 6.1, Alice and Bob; the private keys are unclamped as printed. */
static void test_x25519_dh(void)
{
	uint8_t a[X25519_KEY_LEN], b[X25519_KEY_LEN];
	uint8_t pub_a[X25519_KEY_LEN], pub_b[X25519_KEY_LEN];
	uint8_t ab[X25519_KEY_LEN], ba[X25519_KEY_LEN];
	static const char shared[] = "4a5d9d5ba4ce2de1728e3bf480350f25"
				     "e07e21c947d19e3376f09b3c1e161742";

	unhex(a, sizeof(a), "77076d0a7318a57d3c16c17251b26645"
			    "df4c2f87ebc0992ab177fba51db92c2a");
	unhex(b, sizeof(b), "5dab087e624a8a4b79e17f8b83800ee6"
			    "6f3bb1292618b6fd1c2f8b27ff88e0eb");
	x25519_public_from_private(pub_a, a);
	x25519_public_from_private(pub_b, b);
	CHECK(matches_hex(pub_a, sizeof(pub_a),
			  "8520f0098930a754748b7ddcb43ef75a"
			  "0dbf3a0d26381af4eba4a98eaa9b4e6a"));
	CHECK(matches_hex(pub_b, sizeof(pub_b),
			  "de9edb7d7b7dc1b4d35b61c2ece43537"
			  "3f8343c85b78674dadfc7e146f882b4f"));
	CHECK(x25519(ab, a, pub_b));
	CHECK(x25519(ba, b, pub_a));
	CHECK(matches_hex(ab, sizeof(ab), shared));
	CHECK(matches_hex(ba, sizeof(ba), shared));
}

/* Points of order dividing 8 give an all-zero secret: refused, out zeroed. */
static void test_x25519_low_order(void)
{
	static const char *const points[] = {
		"00000000000000000000000000000000"
		"00000000000000000000000000000000",
		"01000000000000000000000000000000"
		"00000000000000000000000000000000",
		"e0eb7a7c3b41b8ae1656e3faf19fc46a"
		"da098deb9c32b1fd866205165f49b800",
		"5f9c95bca3508c24b1d0b1559c83ef5b"
		"04445cc4581c8e86d8224eddd09f1157",
		"ecffffffffffffffffffffffffffffff"
		"ffffffffffffffffffffffffffffff7f",
		"edffffffffffffffffffffffffffffff"
		"ffffffffffffffffffffffffffffff7f",
		"eeffffffffffffffffffffffffffffff"
		"ffffffffffffffffffffffffffffff7f",
	};
	uint8_t priv[X25519_KEY_LEN], pub[X25519_KEY_LEN], out[X25519_KEY_LEN];
	size_t i;

	CHECK_EQ(x25519_generate_private(priv), 0);
	for (i = 0; i < sizeof(points) / sizeof(points[0]); i++) {
		unhex(pub, sizeof(pub), points[i]);
		memset(out, 0xa5, sizeof(out));
		CHECK(!x25519(out, priv, pub));
		CHECK(crypto_is_zero(out, sizeof(out)));
	}
}

/* RFC 7748 section 6.1 through the key forms: x25519_key (ephemeral) and
 * x25519_static (a thread's cached static keys) give what x25519 gives. */
static void test_x25519_key_forms(void)
{
	uint8_t a[X25519_KEY_LEN], b[X25519_KEY_LEN], pub[X25519_KEY_LEN];
	uint8_t pub_b[X25519_KEY_LEN], out[X25519_KEY_LEN];
	static const char shared[] = "4a5d9d5ba4ce2de1728e3bf480350f25"
				     "e07e21c947d19e3376f09b3c1e161742";
	struct x25519_key *k;

	unhex(a, sizeof(a), "77076d0a7318a57d3c16c17251b26645"
			    "df4c2f87ebc0992ab177fba51db92c2a");
	unhex(b, sizeof(b), "5dab087e624a8a4b79e17f8b83800ee6"
			    "6f3bb1292618b6fd1c2f8b27ff88e0eb");
	x25519_public_from_private(pub_b, b);

	k = x25519_key_new(a);
	CHECK(k != NULL);
	if (k) {
		x25519_key_public(pub, k);
		CHECK(matches_hex(pub, sizeof(pub),
				  "8520f0098930a754748b7ddcb43ef75a"
				  "0dbf3a0d26381af4eba4a98eaa9b4e6a"));
		/* Twice: a key serves more than one DH. */
		CHECK(x25519_key_dh(out, k, pub_b));
		CHECK(matches_hex(out, sizeof(out), shared));
		CHECK(x25519_key_dh(out, k, pub_b));
		CHECK(matches_hex(out, sizeof(out), shared));
		x25519_key_free(k);
	}
	x25519_key_free(NULL);

	x25519_static_public(pub, a);
	CHECK(matches_hex(pub, sizeof(pub),
			  "8520f0098930a754748b7ddcb43ef75a"
			  "0dbf3a0d26381af4eba4a98eaa9b4e6a"));
	CHECK(x25519_static(out, a, pub_b));
	CHECK(matches_hex(out, sizeof(out), shared));
	/* Forgotten, then needed again: made afresh, same result. */
	x25519_static_forget(a);
	x25519_static_forget(a);
	CHECK(x25519_static(out, a, pub_b));
	CHECK(matches_hex(out, sizeof(out), shared));
	x25519_static_forget(a);
}

/* More static keys than slots, used in turns (slots are reused), each DH
 * checked against x25519; and a low-order point through a cached key. */
static void test_x25519_static_slots(void)
{
	enum { NKEYS = X25519_STATIC_SLOTS + 2 };
	uint8_t priv[NKEYS][X25519_KEY_LEN], peer[X25519_KEY_LEN];
	uint8_t pub[X25519_KEY_LEN], want[X25519_KEY_LEN], out[X25519_KEY_LEN];
	unsigned long wrong = 0;
	int i, round;

	CHECK_EQ(x25519_generate_private(peer), 0);
	x25519_public_from_private(pub, peer);
	for (i = 0; i < NKEYS; i++)
		CHECK_EQ(x25519_generate_private(priv[i]), 0);
	for (round = 0; round < 3; round++) {
		for (i = 0; i < NKEYS; i++) {
			uint8_t spub[X25519_KEY_LEN], rpub[X25519_KEY_LEN];

			wrong += !x25519(want, priv[i], pub);
			wrong += !x25519_static(out, priv[i], pub);
			wrong += !!memcmp(out, want, sizeof(out));
			x25519_static_public(spub, priv[i]);
			x25519_public_from_private(rpub, priv[i]);
			wrong += !!memcmp(spub, rpub, sizeof(spub));
		}
	}
	CHECK_EQ(wrong, 0);
	memset(pub, 0, sizeof(pub));
	memset(out, 0xa5, sizeof(out));
	CHECK(!x25519_static(out, priv[0], pub));
	CHECK(crypto_is_zero(out, sizeof(out)));
	for (i = 0; i < NKEYS; i++)
		x25519_static_forget(priv[i]);
}

struct static_thread {
	uint8_t priv[X25519_KEY_LEN], pub[X25519_KEY_LEN];
	uint8_t want[X25519_KEY_LEN], got[X25519_KEY_LEN];
	pthread_t thread;
};

/* A thread's static keys are its own, and freed when it exits (valgrind
 * would report them otherwise). */
static void *static_thread_main(void *arg)
{
	struct static_thread *t = arg;

	x25519_static(t->got, t->priv, t->pub);
	return NULL;
}

static void test_x25519_static_threads(void)
{
	struct static_thread t;

	CHECK_EQ(x25519_generate_private(t.priv), 0);
	CHECK_EQ(x25519_generate_private(t.want), 0);
	x25519_public_from_private(t.pub, t.want);
	CHECK(x25519(t.want, t.priv, t.pub));
	CHECK(x25519_static(t.got, t.priv, t.pub)); /* cached here too */
	memset(t.got, 0, sizeof(t.got));
	CHECK_EQ(pthread_create(&t.thread, NULL, static_thread_main, &t), 0);
	CHECK_EQ(pthread_join(t.thread, NULL), 0);
	CHECK(!memcmp(t.got, t.want, sizeof(t.got)));
	x25519_static_forget(t.priv);
}

static void test_x25519_generate(void)
{
	uint8_t a[X25519_KEY_LEN], b[X25519_KEY_LEN];
	uint8_t pub_a[X25519_KEY_LEN], pub_b[X25519_KEY_LEN];
	uint8_t ab[X25519_KEY_LEN], ba[X25519_KEY_LEN];

	CHECK_EQ(x25519_generate_private(a), 0);
	CHECK_EQ(x25519_generate_private(b), 0);
	CHECK(!crypto_equal(a, b, sizeof(a)));
	CHECK_EQ(a[0] & 7, 0);
	CHECK_EQ(a[31] & 0xc0, 0x40);
	x25519_public_from_private(pub_a, a);
	x25519_public_from_private(pub_b, b);
	CHECK(x25519(ab, a, pub_b));
	CHECK(x25519(ba, b, pub_a));
	CHECK(crypto_equal(ab, ba, sizeof(ab)));
}

static int random_all_ones(void *buf, size_t len)
{
	memset(buf, 0xff, len);
	return 0;
}

static int random_failing(void *buf, size_t len)
{
	memset(buf, 0x5a, len); /* half-written before it fails */
	return -EIO;
}

/* A key from a given source of bytes (a device's ops): exactly those
 * bytes, clamped; a failing source gives its error and no key. */
static void test_x25519_generate_from(void)
{
	uint8_t priv[X25519_KEY_LEN];

	CHECK_EQ(x25519_generate_private_from(priv, random_all_ones), 0);
	CHECK_EQ(priv[0], 0xf8);
	for (size_t i = 1; i < 31; i++)
		CHECK_EQ(priv[i], 0xff);
	CHECK_EQ(priv[31], 0x7f);
	CHECK_EQ(x25519_generate_private_from(priv, random_failing), -EIO);
	CHECK(crypto_is_zero(priv, sizeof(priv)));
}

/* ---- ChaCha20-Poly1305 ------------------------------------------------ */

static const char sunscreen[] =
	"Ladies and Gentlemen of the class of '99: If I could offer you only "
	"one tip for the future, sunscreen would be it.";

/* RFC 8439 appendix A.5: key, ad, counter, plaintext, ciphertext, tag. */
static const char a5_key[] = "1c9240a5eb55d38af333888604f6b5f0"
			     "473917c1402b80099dca5cbc207075c0";
static const char a5_ad[] = "f33388860000000000004e91";
static const uint64_t a5_counter = 0x0807060504030201ULL;
static const char a5_plain[] =
	"496e7465726e65742d4472616674732061726520647261667420646f63756d65"
	"6e74732076616c696420666f722061206d6178696d756d206f6620736978206d"
	"6f6e74687320616e64206d617920626520757064617465642c207265706c6163"
	"65642c206f72206f62736f6c65746564206279206f7468657220646f63756d65"
	"6e747320617420616e792074696d652e20497420697320696e617070726f7072"
	"6961746520746f2075736520496e7465726e65742d4472616674732061732072"
	"65666572656e6365206d6174657269616c206f7220746f206369746520746865"
	"6d206f74686572207468616e206173202fe2809c776f726b20696e2070726f67"
	"726573732e2fe2809d";
static const char a5_sealed[] =
	"64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb2"
	"4c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf"
	"332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855"
	"9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4"
	"b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e"
	"af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a"
	"0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a10"
	"49e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29"
	"a6ad5cb4022b02709b"
	"eead9d67890cbb22392336fea1851f38";

static void test_aead_rfc8439_a5(void)
{
	uint8_t key[CHACHA20POLY1305_KEY_LEN], ad[12];
	uint8_t plain[MAX_VECTOR], sealed[MAX_VECTOR], out[MAX_VECTOR];
	size_t plain_len, sealed_len;

	unhex(key, sizeof(key), a5_key);
	unhex(ad, sizeof(ad), a5_ad);
	plain_len = unhex(plain, sizeof(plain), a5_plain);
	sealed_len = unhex(sealed, sizeof(sealed), a5_sealed);
	CHECK_EQ(plain_len, 265);
	CHECK_EQ(sealed_len, plain_len + CHACHA20POLY1305_TAG_LEN);

	CHECK(chacha20poly1305_decrypt(out, sealed, sealed_len, ad, sizeof(ad),
				       a5_counter, key));
	CHECK(!memcmp(out, plain, plain_len));
	chacha20poly1305_encrypt(out, plain, plain_len, ad, sizeof(ad),
				 a5_counter, key);
	CHECK(matches_hex(out, sealed_len, a5_sealed));

	/* The same bytes read big-endian must not decrypt. */
	CHECK(!chacha20poly1305_decrypt(out, sealed, sealed_len, ad,
					sizeof(ad), 0x0102030405060708ULL,
					key));
}

/* libcrypto's AEAD with an arbitrary 96-bit nonce, for cross-checks. */
static bool evp_seal(uint8_t *dst, const uint8_t *src, size_t len,
		     const uint8_t *ad, size_t adlen, const uint8_t iv[12],
		     const uint8_t key[CHACHA20POLY1305_KEY_LEN])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int outl;
	bool ok;

	ok = ctx &&
	     EVP_EncryptInit_ex(ctx, EVP_chacha20_poly1305(), NULL, key, iv) &&
	     (!adlen || EVP_EncryptUpdate(ctx, NULL, &outl, ad, (int)adlen)) &&
	     (!len || EVP_EncryptUpdate(ctx, dst, &outl, src, (int)len)) &&
	     EVP_EncryptFinal_ex(ctx, dst + len, &outl) &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG,
				 CHACHA20POLY1305_TAG_LEN, dst + len);
	EVP_CIPHER_CTX_free(ctx);
	return ok;
}

/*
 * RFC 8439 section 2.8.2 (nonce 07000000 || 40..47, not WireGuard's layout)
 * through raw EVP, then the wrapper against raw EVP with the whitepaper's
 * 00000000 || le64(counter) nonce.
 */
static void test_aead_against_evp(void)
{
	static const uint64_t counters[] = { 0, 1, 0x100, 0x0123456789abcdefULL,
					     UINT64_MAX };
	static const size_t lens[] = { 0, 1, 16, 63, 64, 65, 1420 };
	uint8_t key[CHACHA20POLY1305_KEY_LEN], iv[12], ad[12];
	uint8_t plain[1420], want[1420 + 16], got[1420 + 16];
	bool is_same = true;
	size_t i, j;
	int k;

	fill_sequence(key, sizeof(key), 0x80);
	unhex(iv, sizeof(iv), "070000004041424344454647");
	unhex(ad, sizeof(ad), "50515253c0c1c2c3c4c5c6c7");
	CHECK(evp_seal(got, (const uint8_t *)sunscreen, strlen(sunscreen), ad,
		       sizeof(ad), iv, key));
	CHECK(matches_hex(got, strlen(sunscreen) + CHACHA20POLY1305_TAG_LEN,
			  "d31a8d34648e60db7b86afbc53ef7ec2"
			  "a4aded51296e08fea9e2b5a736ee62d6"
			  "3dbea45e8ca9671282fafb69da92728b"
			  "1a71de0a9e060b2905d6a5b67ecd3b36"
			  "92ddbd7f2d778b8c9803aee328091b58"
			  "fab324e4fad675945585808b4831d7bc"
			  "3ff4def08e4b7a9de576d26586cec64b"
			  "6116"
			  "1ae10b594f09e26a7e902ecbd0600691"));

	CHECK_EQ(crypto_random(plain, sizeof(plain)), 0);
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		memset(iv, 0, 4);
		for (k = 0; k < 8; k++)
			iv[4 + k] = counters[i] >> (8 * k);
		for (j = 0; j < sizeof(lens) / sizeof(lens[0]); j++) {
			is_same &= evp_seal(want, plain, lens[j], ad,
					    sizeof(ad), iv, key);
			chacha20poly1305_encrypt(got, plain, lens[j], ad,
						 sizeof(ad), counters[i], key);
			is_same &= !memcmp(got, want, lens[j] + 16);
		}
	}
	CHECK(is_same);
}

static void test_aead_roundtrip(void)
{
	static const size_t lens[] = { 0, 1, 15, 16, 17, 63, 64, 65, 1420 };
	uint8_t key[CHACHA20POLY1305_KEY_LEN], ad[32];
	uint8_t plain[1420], sealed[1420 + 16], buf[1420 + 16];
	bool ok = true;
	size_t i;

	CHECK_EQ(crypto_random(key, sizeof(key)), 0);
	CHECK_EQ(crypto_random(ad, sizeof(ad)), 0);
	CHECK_EQ(crypto_random(plain, sizeof(plain)), 0);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t len = lens[i], adlen = i % 2 ? sizeof(ad) : 0;

		chacha20poly1305_encrypt(sealed, plain, len, ad, adlen, i, key);
		ok &= chacha20poly1305_decrypt(buf, sealed, len + 16, ad,
					       adlen, i, key);
		ok &= !memcmp(buf, plain, len);

		/* In place, both ways. */
		memcpy(buf, plain, len);
		chacha20poly1305_encrypt(buf, buf, len, ad, adlen, i, key);
		ok &= !memcmp(buf, sealed, len + 16);
		ok &= chacha20poly1305_decrypt(buf, buf, len + 16, ad, adlen,
					       i, key);
		ok &= !memcmp(buf, plain, len);

		/* Wrong counter, key or additional data. */
		ok &= !chacha20poly1305_decrypt(buf, sealed, len + 16, ad,
						adlen, i + 1, key);
		key[0] ^= 1;
		ok &= !chacha20poly1305_decrypt(buf, sealed, len + 16, ad,
						adlen, i, key);
		key[0] ^= 1;
		ok &= !chacha20poly1305_decrypt(buf, sealed, len + 16, ad,
						sizeof(ad) - adlen, i, key);
	}
	CHECK(ok);

	/* Too short to hold a tag; exactly a tag is the empty message. */
	CHECK(!chacha20poly1305_decrypt(buf, sealed, 15, NULL, 0, 0, key));
	CHECK(!chacha20poly1305_decrypt(buf, sealed, 0, NULL, 0, 0, key));
	chacha20poly1305_encrypt(sealed, NULL, 0, NULL, 0, 7, key);
	CHECK(chacha20poly1305_decrypt(buf, sealed, 16, NULL, 0, 7, key));
}

/* One seal with the wrapper against a fresh libcrypto context. */
static bool seals_as_evp(const uint8_t *plain, size_t len, uint64_t counter,
			 const uint8_t key[CHACHA20POLY1305_KEY_LEN])
{
	uint8_t iv[12] = { 0 }, want[1420 + 16], got[1420 + 16];
	int k;

	for (k = 0; k < 8; k++)
		iv[4 + k] = counter >> (8 * k);
	if (!evp_seal(want, plain, len, NULL, 0, iv, key))
		return false;
	chacha20poly1305_encrypt(got, plain, len, NULL, 0, counter, key);
	return !memcmp(got, want, len + 16);
}

/*
 * The thread's context keeps its key between calls (crypto_aead.c): every
 * change of key must still take effect, whether the key differs in its
 * last byte only, sits in another buffer or is rewritten in place, and
 * after a refused open or a switch between sealing and opening.
 */
static void test_aead_key_changes(void)
{
	uint8_t k1[CHACHA20POLY1305_KEY_LEN], k2[CHACHA20POLY1305_KEY_LEN];
	uint8_t same[CHACHA20POLY1305_KEY_LEN], ad[12];
	uint8_t plain[1420], sealed[1420 + 16], buf[1420 + 16];
	uint8_t a5[MAX_VECTOR], out[MAX_VECTOR];
	uint8_t many[6][CHACHA20POLY1305_KEY_LEN];
	bool is_same = true;
	size_t a5_len;

	CHECK_EQ(crypto_random(k1, sizeof(k1)), 0);
	CHECK_EQ(crypto_random(plain, sizeof(plain)), 0);
	memcpy(k2, k1, sizeof(k2));
	k2[sizeof(k2) - 1] ^= 1;
	memcpy(same, k1, sizeof(same));

	CHECK(seals_as_evp(plain, 1420, 1, k1));
	CHECK(seals_as_evp(plain, 1420, 2, k1));
	CHECK(seals_as_evp(plain, 1420, 3, k2));
	CHECK(seals_as_evp(plain, 1420, 4, k1));
	CHECK(seals_as_evp(plain, 100, 5, same));
	k1[0] ^= 0x40; /* the same buffer, another key */
	CHECK(seals_as_evp(plain, 1420, 6, k1));
	k1[0] ^= 0x40;
	CHECK(seals_as_evp(plain, 1420, 7, k1));

	/* Sealed under k1: refused under k2 (the last call's key is k1),
	 * then opened under k1, then sealing again. */
	chacha20poly1305_encrypt(sealed, plain, 1420, NULL, 0, 8, k1);
	CHECK(!chacha20poly1305_decrypt(buf, sealed, sizeof(sealed), NULL, 0,
					8, k2));
	CHECK(chacha20poly1305_decrypt(buf, sealed, sizeof(sealed), NULL, 0, 8,
				       k1));
	CHECK(!memcmp(buf, plain, 1420));
	CHECK(!chacha20poly1305_decrypt(buf, sealed, sizeof(sealed), NULL, 0, 9,
					k1));
	CHECK(seals_as_evp(plain, 1420, 8, k1));
	CHECK(seals_as_evp(plain, 1420, 8, k2));

	/* More keys in turn than a thread keeps set up (AEAD_SLOTS, 4):
	 * every one evicted and set up again, and then two in turn. */
	CHECK_EQ(crypto_random(many, sizeof(many)), 0);
	for (int i = 0; i < 3 * 6; i++)
		is_same &= seals_as_evp(plain, 200, 100 + i, many[i % 6]);
	for (int i = 0; i < 8; i++)
		is_same &= seals_as_evp(plain, 200, 200 + i, many[i % 2]);
	CHECK(is_same);

	/* RFC 8439 A.5 after all that, twice (a new key, then the same). */
	unhex(k1, sizeof(k1), a5_key);
	unhex(ad, sizeof(ad), a5_ad);
	a5_len = unhex(a5, sizeof(a5), a5_sealed);
	CHECK(chacha20poly1305_decrypt(out, a5, a5_len, ad, sizeof(ad),
				       a5_counter, k1));
	CHECK(matches_hex(out, a5_len - 16, a5_plain));
	memset(out, 0, sizeof(out));
	CHECK(chacha20poly1305_decrypt(out, a5, a5_len, ad, sizeof(ad),
				       a5_counter, k1));
	CHECK(matches_hex(out, a5_len - 16, a5_plain));
}

/* Flipping any bit of ciphertext or tag, or of the ad, must be refused. */
static void test_aead_tamper(void)
{
	uint8_t key[CHACHA20POLY1305_KEY_LEN], ad[20];
	uint8_t plain[100], sealed[116], buf[116];
	bool is_refused = true;
	size_t i;
	int bit;

	CHECK_EQ(crypto_random(key, sizeof(key)), 0);
	fill_sequence(ad, sizeof(ad), 1);
	fill_sequence(plain, sizeof(plain), 9);
	chacha20poly1305_encrypt(sealed, plain, sizeof(plain), ad, sizeof(ad),
				 42, key);
	for (i = 0; i < sizeof(sealed); i++) {
		for (bit = 0; bit < 8; bit++) {
			sealed[i] ^= 1 << bit;
			is_refused &= !chacha20poly1305_decrypt(
				buf, sealed, sizeof(sealed), ad, sizeof(ad), 42,
				key);
			sealed[i] ^= 1 << bit;
		}
	}
	for (i = 0; i < sizeof(ad); i++) {
		ad[i] ^= 0x80;
		is_refused &= !chacha20poly1305_decrypt(buf, sealed,
							sizeof(sealed), ad,
							sizeof(ad), 42, key);
		ad[i] ^= 0x80;
	}
	CHECK(is_refused);
	/* A failed open wipes what it wrote. */
	sealed[0] ^= 1;
	memset(buf, 0xa5, sizeof(buf));
	CHECK(!chacha20poly1305_decrypt(buf, sealed, sizeof(sealed), ad,
					sizeof(ad), 42, key));
	CHECK(crypto_is_zero(buf, sizeof(plain)));
	sealed[0] ^= 1;
	CHECK(chacha20poly1305_decrypt(buf, sealed, sizeof(sealed), ad,
				       sizeof(ad), 42, key));
	CHECK(!memcmp(buf, plain, sizeof(plain)));
}

#define AEAD_THREADS 4
#define AEAD_THREAD_ROUNDS 2000

/* Each thread alternates between its own key and the next thread's, so
 * that every key is in use on two threads' contexts at once. */
struct aead_thread {
	pthread_t thread;
	uint8_t key[CHACHA20POLY1305_KEY_LEN];
	uint8_t want[64 + 16];
	const struct aead_thread *next; /* read only while threads run */
	unsigned failures;
};

static void *aead_thread_main(void *arg)
{
	struct aead_thread *t = arg;
	const struct aead_thread *k;
	uint8_t plain[64], buf[64 + 16];
	int i;

	fill_sequence(plain, sizeof(plain), 0);
	for (i = 0; i < AEAD_THREAD_ROUNDS; i++) {
		k = i % 3 ? t : t->next;
		chacha20poly1305_encrypt(buf, plain, sizeof(plain), NULL, 0, 5,
					 k->key);
		t->failures += !!memcmp(buf, k->want, sizeof(buf));
		t->failures += !chacha20poly1305_decrypt(buf, buf, sizeof(buf),
							 NULL, 0, 5, k->key);
		t->failures += !!memcmp(buf, plain, sizeof(plain));
	}
	return NULL;
}

/* Threads with their own keys must not disturb each other's contexts. */
static void test_aead_threads(void)
{
	struct aead_thread threads[AEAD_THREADS];
	uint8_t plain[64];
	int i;

	fill_sequence(plain, sizeof(plain), 0);
	for (i = 0; i < AEAD_THREADS; i++) {
		memset(threads[i].key, i + 1, sizeof(threads[i].key));
		chacha20poly1305_encrypt(threads[i].want, plain, sizeof(plain),
					 NULL, 0, 5, threads[i].key);
		threads[i].next = &threads[(i + 1) % AEAD_THREADS];
		threads[i].failures = 0;
	}
	for (i = 0; i < AEAD_THREADS; i++)
		CHECK_EQ(pthread_create(&threads[i].thread, NULL,
					aead_thread_main, &threads[i]),
			 0);
	for (i = 0; i < AEAD_THREADS; i++) {
		CHECK_EQ(pthread_join(threads[i].thread, NULL), 0);
		CHECK_EQ(threads[i].failures, 0);
	}
}

/* ---- HChaCha20 and XChaCha20-Poly1305 --------------------------------- */

static void test_hchacha20(void)
{
	uint8_t key[32], nonce[16], out[32];

	/* draft-irtf-cfrg-xchacha-03 section 2.2.1. */
	fill_sequence(key, sizeof(key), 0);
	unhex(nonce, sizeof(nonce), "000000090000004a0000000031415927");
	hchacha20(out, nonce, key);
	CHECK(matches_hex(out, sizeof(out),
			  "82413b4227b27bfed30e42508a877d73"
			  "a0f9e4d58a74a853c12ec41326d3ecdc"));
}

/* draft-irtf-cfrg-xchacha-03 appendix A.3.1. */
static void test_xchacha20poly1305(void)
{
	static const char sealed_hex[] =
		"bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c2139"
		"6cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e"
		"1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2"
		"383565d3fff921f9664c97637da9768812f615c68b13b52e"
		"c0875924c1c7987947deafd8780acf49";
	uint8_t key[CHACHA20POLY1305_KEY_LEN], ad[12];
	uint8_t nonce[XCHACHA20POLY1305_NONCE_LEN];
	uint8_t sealed[MAX_VECTOR], buf[MAX_VECTOR];
	size_t len = strlen(sunscreen), sealed_len;

	fill_sequence(key, sizeof(key), 0x80);
	fill_sequence(nonce, sizeof(nonce), 0x40);
	unhex(ad, sizeof(ad), "50515253c0c1c2c3c4c5c6c7");
	sealed_len = unhex(sealed, sizeof(sealed), sealed_hex);
	CHECK_EQ(sealed_len, len + CHACHA20POLY1305_TAG_LEN);

	xchacha20poly1305_encrypt(buf, (const uint8_t *)sunscreen, len, ad,
				  sizeof(ad), nonce, key);
	CHECK(matches_hex(buf, sealed_len, sealed_hex));
	CHECK(xchacha20poly1305_decrypt(buf, sealed, sealed_len, ad,
					sizeof(ad), nonce, key));
	CHECK(!memcmp(buf, sunscreen, len));

	/* In place, then a flipped byte in each half of the nonce. */
	memcpy(buf, sealed, sealed_len);
	CHECK(xchacha20poly1305_decrypt(buf, buf, sealed_len, ad, sizeof(ad),
					nonce, key));
	CHECK(!memcmp(buf, sunscreen, len));
	nonce[3] ^= 1;
	CHECK(!xchacha20poly1305_decrypt(buf, sealed, sealed_len, ad,
					 sizeof(ad), nonce, key));
	nonce[3] ^= 1;
	nonce[20] ^= 1;
	CHECK(!xchacha20poly1305_decrypt(buf, sealed, sealed_len, ad,
					 sizeof(ad), nonce, key));
	nonce[20] ^= 1;
	sealed[sealed_len - 1] ^= 1;
	CHECK(!xchacha20poly1305_decrypt(buf, sealed, sealed_len, ad,
					 sizeof(ad), nonce, key));
}

/* ---- Helpers ---------------------------------------------------------- */

static void test_helpers(void)
{
	uint8_t a[64], b[64], zero[64] = { 0 };

	fill_sequence(a, sizeof(a), 1);
	memcpy(b, a, sizeof(b));
	CHECK(crypto_equal(a, b, sizeof(a)));
	b[63] ^= 0x80;
	CHECK(!crypto_equal(a, b, sizeof(a)));
	CHECK(crypto_equal(a, b, 63));
	CHECK(crypto_equal(a, b, 0));

	CHECK(crypto_is_zero(zero, sizeof(zero)));
	CHECK(crypto_is_zero(a, 0));
	zero[40] = 1;
	CHECK(!crypto_is_zero(zero, sizeof(zero)));
	CHECK(!crypto_is_zero(a, sizeof(a)));

	crypto_wipe(a, sizeof(a));
	CHECK(crypto_is_zero(a, sizeof(a)));

	CHECK_EQ(crypto_random(a, sizeof(a)), 0);
	CHECK_EQ(crypto_random(b, sizeof(b)), 0);
	CHECK(!crypto_equal(a, b, sizeof(a)));
	CHECK(!crypto_is_zero(a, sizeof(a)));
	CHECK_EQ(crypto_random(a, 0), 0);
}

/* ---- nonces ------------------------------------------------------------ */

#define NONCES (100 * 1000) /* > 2 MiB of keystream: crosses rekeys */

static int cmp_nonce(const void *a, const void *b)
{
	return memcmp(a, b, COOKIE_NONCE_TEST_LEN);
}

/* Many nonces, over many refills and two rekeys: none repeats, and their
 * bits are about half ones (a stream stuck on zeros or on one block fails). */
static void test_nonce_unique(void)
{
	uint8_t (*n)[COOKIE_NONCE_TEST_LEN] = malloc(NONCES * sizeof(*n));
	unsigned long ones = 0, repeats = 0, errors = 0;
	size_t i;

	CHECK(n != NULL);
	if (!n)
		return;
	for (i = 0; i < NONCES; i++)
		errors += crypto_nonce(n[i], sizeof(n[i])) != 0;
	CHECK_EQ(errors, 0);
	for (i = 0; i < NONCES * sizeof(*n); i++)
		ones += __builtin_popcount(((uint8_t *)n)[i]);
	qsort(n, NONCES, sizeof(*n), cmp_nonce);
	for (i = 1; i < NONCES; i++)
		repeats += !memcmp(n[i - 1], n[i], sizeof(*n));
	CHECK_EQ(repeats, 0);
	/* 19.2 million bits: 50% +- 0.1% is about nine sigma. */
	CHECK(ones > NONCES * sizeof(*n) * 8 * 0.499 &&
	      ones < NONCES * sizeof(*n) * 8 * 0.501);
	free(n);
}

/* Odd lengths across buffer boundaries, and zero. */
static void test_nonce_lengths(void)
{
	uint8_t a[1000], b[1000];
	size_t len;

	for (len = 1; len < sizeof(a); len += 37) {
		CHECK_EQ(crypto_nonce(a, len), 0);
		CHECK_EQ(crypto_nonce(b, len), 0);
		CHECK(len < 8 || memcmp(a, b, len));
	}
	CHECK_EQ(crypto_nonce(a, 0), 0);
}

/* A child after fork() must not hand out what the parent hands out next. */
static void test_nonce_fork(void)
{
	uint8_t parent[24], child[24] = { 0 };
	int fds[2], status;
	pid_t pid;

	CHECK_EQ(crypto_nonce(parent, sizeof(parent)), 0); /* stream keyed */
	CHECK_EQ(pipe(fds), 0);
	pid = fork();
	if (pid == 0) {
		int ok = crypto_nonce(child, sizeof(child)) == 0 &&
			 write(fds[1], child, sizeof(child)) ==
				 (ssize_t)sizeof(child);
		_exit(ok ? 0 : 1);
	}
	CHECK(pid > 0);
	close(fds[1]);
	CHECK_EQ(read(fds[0], child, sizeof(child)), (ssize_t)sizeof(child));
	close(fds[0]);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(crypto_nonce(parent, sizeof(parent)), 0);
	CHECK(memcmp(parent, child, sizeof(parent)));
}

static void *nonce_thread_main(void *arg)
{
	crypto_nonce(arg, 24);
	return NULL;
}

/* Each thread has its own stream, keyed on its own. */
static void test_nonce_threads(void)
{
	uint8_t a[24], b[24];
	pthread_t t;

	CHECK_EQ(crypto_nonce(a, sizeof(a)), 0);
	CHECK_EQ(pthread_create(&t, NULL, nonce_thread_main, b), 0);
	CHECK_EQ(pthread_join(t, NULL), 0);
	CHECK(memcmp(a, b, sizeof(a)));
}

int main(void)
{
	CHECK_EQ(crypto_init(), 0);
	CHECK_EQ(crypto_init(), 0);

	test_blake2s_rfc7693();
	test_blake2s_kat();
	test_blake2s_short_keyed();
	test_blake2s_keyed_reuse();
	test_blake2s_2();
	test_blake2s_unkeyed_short_aborts();
	test_hmac_blake2s();

	test_x25519_rfc7748();
	test_x25519_iterated();
	test_x25519_dh();
	test_x25519_low_order();
	test_x25519_generate();
	test_x25519_generate_from();
	test_x25519_key_forms();
	test_x25519_static_slots();
	test_x25519_static_threads();

	test_aead_rfc8439_a5();
	test_aead_against_evp();
	test_aead_roundtrip();
	test_aead_key_changes();
	test_aead_tamper();
	test_aead_threads();

	test_hchacha20();
	test_xchacha20poly1305();

	test_helpers();
	test_nonce_unique();
	test_nonce_lengths();
	test_nonce_fork();
	test_nonce_threads();
	return test_finish("crypto");
}
