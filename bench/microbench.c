// SPDX-License-Identifier: MIT
/*
 * Micro-benchmarks of the daemon library (build/liblw.a), part 3 of the
 * benchmark issue; bench/bench.sh runs them and docs/bench.md explains the
 * figures:
 *
 *   microbench [PREFIXES]   AllowedIPs (whitepaper section 2): PREFIXES
 *                           random IPv4 prefixes, then as many IPv6 ones,
 *                           spread over 1,000 owners, then random lookups;
 *                           and the handshake figures below.
 *   microbench handshake    the handshake figures alone: full
 *                           Noise_IKpsk2 handshakes (section 5.4) between
 *                           two in-process peers on one core; what one
 *                           valid-mac1 initiation costs the responder's
 *                           admission check (mac1, and under load mac2
 *                           and a cookie reply, 5.4.7), as the receive
 *                           path runs it; and the primitives behind them
 *                           (24 random bytes from RAND_bytes and from the
 *                           nonce stream of crypto_nonce among them).
 *   microbench datapath     the data path's per-packet primitives (issue
 *                           14): ChaCha20-Poly1305 seal and open of a
 *                           1,420-byte packet with one session key, with
 *                           two keys in turn and with six, and the
 *                           Internet checksum of a 1,420-byte segment
 *                           alone and while copying it; each the median
 *                           of DATAPATH_REPEATS timed loops, with the
 *                           spread (max - min) / median in percent.
 *   microbench conf N       a `wg setconf` file for N peers with fresh
 *                           public keys, one IPv4 /32 and one IPv6 /128
 *                           each, on stdout.
 *
 * Every figure is one "name=value" line. Rates divide by this thread's CPU
 * time (CLOCK_THREAD_CPUTIME_ID), so they are per core and mostly blind to
 * other work on the machine; MICROBENCH_SECONDS (default 2) is the CPU time
 * spent on each timed loop.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/evp.h>

#include "allowedips.h"
#include "cookie.h"
#include "crypto.h"
#include "noise.h"
/* The checksum helpers are the offload code's internals; the benchmark
 * times them directly rather than through whole TUN batches. */
#include "offload_internal.h"

#define NOWNERS 1000
#define NADDRS (1u << 20) /* lookup addresses, cycled */

static uint64_t rng_state = 0x62656e63686c7721ULL;

static uint64_t rng(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static void rng_fill(uint8_t *p, size_t len)
{
	uint64_t r;
	size_t n;

	while (len) {
		r = rng();
		n = len < 8 ? len : 8;
		memcpy(p, &r, n);
		p += n;
		len -= n;
	}
}

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Resident set of this process in KiB, from /proc/self/statm. */
static long rss_kb(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * 4;
}

static double budget(void)
{
	const char *s = getenv("MICROBENCH_SECONDS");
	double v = s ? atof(s) : 2.0;

	return v > 0 ? v : 2.0;
}

/* ------------------------------------------------------------ allowedips */

static const char *family_name(int family)
{
	return family == AF_INET ? "v4" : "v6";
}

/* Random prefix lengths: IPv4 /8../32, IPv6 /16../128, as a table of many
 * peers' subnets and hosts would mix them. */
static uint8_t random_cidr(int family)
{
	return family == AF_INET ? 8 + rng() % 25 : 16 + rng() % 113;
}

static int bench_insert(struct allowedips *table, int family, long nprefix,
			struct allowedips_owner *owners)
{
	size_t alen = family == AF_INET ? 4 : 16;
	long rss0 = rss_kb(), i;
	double t0 = cpu_seconds(), t;
	uint8_t addr[16];
	int ret;

	for (i = 0; i < nprefix; i++) {
		rng_fill(addr, alen);
		ret = allowedips_insert(table, family, addr, random_cidr(family),
					&owners[i % NOWNERS]);
		if (ret < 0) {
			fprintf(stderr, "microbench: insert: %s\n",
				strerror(-ret));
			return ret;
		}
	}
	t = cpu_seconds() - t0;
	printf("allowedips_%s_prefixes=%ld\n", family_name(family), nprefix);
	printf("allowedips_%s_nodes=%ld\n", family_name(family),
	       allowedips_debug_check(table, family));
	printf("allowedips_%s_insert_s=%.3f\n", family_name(family), t);
	printf("allowedips_%s_inserts_per_s=%.0f\n", family_name(family),
	       nprefix / t);
	printf("allowedips_%s_bytes_per_prefix=%.1f\n", family_name(family),
	       (rss_kb() - rss0) * 1024.0 / nprefix);
	return 0;
}

static int bench_lookup(const struct allowedips *table, int family)
{
	size_t alen = family == AF_INET ? 4 : 16;
	uint8_t *addrs = malloc((size_t)NADDRS * alen);
	unsigned long n = 0, hits = 0, i;
	double limit = budget(), t0, t;

	if (!addrs)
		return -ENOMEM;
	rng_fill(addrs, (size_t)NADDRS * alen);
	t0 = cpu_seconds();
	do {
		for (i = 0; i < NADDRS; i++)
			hits += allowedips_lookup(table, family,
						  addrs + i * alen) != NULL;
		n += NADDRS;
		t = cpu_seconds() - t0;
	} while (t < limit);
	printf("allowedips_%s_lookups_per_s=%.0f\n", family_name(family),
	       n / t);
	printf("allowedips_%s_hit_percent=%.1f\n", family_name(family),
	       100.0 * hits / n);
	free(addrs);
	return 0;
}

static int bench_allowedips(long nprefix)
{
	struct allowedips_owner *owners = calloc(NOWNERS, sizeof(*owners));
	struct allowedips table;
	int ret = -ENOMEM;

	if (!owners)
		return ret;
	allowedips_init(&table);
	ret = bench_insert(&table, AF_INET, nprefix, owners);
	if (!ret)
		ret = bench_lookup(&table, AF_INET);
	if (!ret)
		ret = bench_insert(&table, AF_INET6, nprefix, owners);
	if (!ret)
		ret = bench_lookup(&table, AF_INET6);
	allowedips_free(&table);
	free(owners);
	return ret;
}

/* ------------------------------------------------------------ handshake */

/* One in-process peer: identity, its handshake with the other side and the
 * mac1 maker/checker pair a real datagram path runs too. */
struct side {
	struct noise_local local;
	struct noise_handshake hs;
	struct cookie_checker checker;
	struct cookie_maker maker;
};

static struct noise_handshake *lookup_other(void *ctx, const uint8_t *pub)
{
	struct side *s = ctx;

	return memcmp(pub, s->hs.remote_static, NOISE_PUBLIC_KEY_LEN) ?
		       NULL :
		       &s->hs;
}

static int side_pair_init(struct side *a, struct side *b)
{
	static const uint8_t psk[NOISE_SYMMETRIC_KEY_LEN] = { 1, 2, 3 };
	uint8_t ka[NOISE_PUBLIC_KEY_LEN], kb[NOISE_PUBLIC_KEY_LEN];

	if (x25519_generate_private(ka) < 0 || x25519_generate_private(kb) < 0)
		return -EIO;
	noise_local_set_private(&a->local, ka);
	noise_local_set_private(&b->local, kb);
	noise_handshake_init(&a->hs, &a->local, b->local.static_public, psk);
	noise_handshake_init(&b->hs, &b->local, a->local.static_public, psk);
	cookie_checker_init(&a->checker, a->local.static_public);
	cookie_checker_init(&b->checker, b->local.static_public);
	cookie_maker_init(&a->maker, b->local.static_public);
	cookie_maker_init(&b->maker, a->local.static_public);
	crypto_wipe(ka, sizeof(ka));
	crypto_wipe(kb, sizeof(kb));
	return 0;
}

/* One handshake, A initiating. The clocks step a second per handshake so
 * neither the TAI64N replay check nor flood protection refuses it. The
 * responder's share of CPU time is added to *responder_s. */
static int handshake_once(struct side *a, struct side *b, uint64_t n,
			  double *responder_s)
{
	uint64_t wall = (1700000000ULL + n) * NS_PER_SEC;
	uint64_t mono = (1000ULL + n) * NS_PER_SEC;
	struct message_handshake_initiation init;
	struct message_handshake_response resp;
	struct noise_handshake *found;
	struct noise_keypair *ka, *kb;
	double t0;

	if (noise_handshake_create_initiation(&init, &a->hs, &a->local, 1,
					      wall, crypto_random) < 0)
		return -EINVAL;
	cookie_maker_add_macs(&a->maker, (uint8_t *)&init, sizeof(init), mono);
	t0 = cpu_seconds();
	if (!cookie_checker_check_mac1(&b->checker, (uint8_t *)&init,
				       sizeof(init)) ||
	    noise_handshake_consume_initiation(&init, &b->local, lookup_other,
					       b, mono, &found) != NOISE_OK ||
	    noise_handshake_create_response(&resp, found, &b->local, 2,
					    crypto_random) < 0)
		return -EINVAL;
	cookie_maker_add_macs(&b->maker, (uint8_t *)&resp, sizeof(resp), mono);
	kb = noise_handshake_begin_session(found, mono);
	*responder_s += cpu_seconds() - t0;
	if (!kb || !cookie_checker_check_mac1(&a->checker, (uint8_t *)&resp,
					      sizeof(resp)) ||
	    noise_handshake_consume_response(&resp, &a->hs, &a->local) !=
		    NOISE_OK) {
		noise_keypair_free(kb);
		return -EINVAL;
	}
	ka = noise_handshake_begin_session(&a->hs, mono);
	noise_keypair_free(ka);
	noise_keypair_free(kb);
	return ka ? 0 : -EINVAL;
}

static int bench_handshakes(void)
{
	static struct side a, b;
	double limit = budget(), responder_s = 0, t0, t;
	uint64_t n = 0;

	if (side_pair_init(&a, &b) < 0)
		return -EIO;
	t0 = cpu_seconds();
	do {
		if (handshake_once(&a, &b, n, &responder_s) < 0) {
			fprintf(stderr, "microbench: handshake %llu failed\n",
				(unsigned long long)n);
			return -EINVAL;
		}
		n++;
		t = cpu_seconds() - t0;
	} while (t < limit);
	printf("handshakes=%llu\n", (unsigned long long)n);
	printf("handshakes_per_s=%.0f\n", n / t);
	printf("responder_handshakes_per_s=%.0f\n", n / responder_s);
	return 0;
}

/* ------------------------------------------------------------ admission */

/*
 * What the receive path's handshake_admitted() spends on one handshake
 * message with a valid mac1, before any Diffie-Hellman: the cookie checks,
 * and under load (no valid mac2: the message comes from a spoofed source
 * or from an initiator without a cookie) the cookie reply. The sources
 * change with every message, as in a flood from spoofed addresses. The
 * rate limiter, device_is_under_load() and sendmmsg are left out.
 */
struct admission {
	struct cookie_checker checker;
	struct message_handshake_initiation init;
	struct sockaddr_in src;
	bool under_load;
	uint64_t mono;
	unsigned long cookie_replies;
};

static void admit_once(void *ctx)
{
	struct admission *a = ctx;
	struct message_handshake_cookie reply;
	uint8_t cookie[COOKIE_LEN];

	a->src.sin_addr.s_addr = htonl(0x0ac80000 | (uint32_t)(rng() & 0xffff));
	a->src.sin_port = htons(1024 + (uint16_t)(rng() % 64512));
	if (!cookie_checker_check_mac1(&a->checker, (uint8_t *)&a->init,
				       sizeof(a->init)) ||
	    !a->under_load)
		return;
	if (!cookie_checker_check_mac2(&a->checker, (uint8_t *)&a->init,
				       sizeof(a->init),
				       (const struct sockaddr *)&a->src,
				       a->mono, crypto_random, cookie) &&
	    cookie_checker_create_reply(&a->checker, &reply,
					(uint8_t *)&a->init, sizeof(a->init),
					a->init.sender_index, cookie) == 0)
		a->cookie_replies++;
	crypto_wipe(cookie, sizeof(cookie));
}

/* ns of CPU per call of fn(ctx), over budget() / 4 seconds of CPU. */
static double ns_per_call(void (*fn)(void *), void *ctx)
{
	double limit = budget() / 4, t0 = cpu_seconds(), t;
	unsigned long n = 0, i;

	do {
		for (i = 0; i < 256; i++)
			fn(ctx);
		n += 256;
		t = cpu_seconds() - t0;
	} while (t < limit);
	return t * 1e9 / n;
}

static int bench_admission(void)
{
	static struct admission a;
	struct cookie_maker maker;
	uint8_t priv[NOISE_PUBLIC_KEY_LEN], pub[NOISE_PUBLIC_KEY_LEN];
	double idle, load;

	if (x25519_generate_private(priv) < 0)
		return -EIO;
	x25519_public_from_private(pub, priv);
	crypto_wipe(priv, sizeof(priv));
	cookie_checker_init(&a.checker, pub);
	cookie_maker_init(&maker, pub);
	rng_fill((uint8_t *)&a.init, sizeof(a.init));
	a.init.header.type = htole32(MESSAGE_HANDSHAKE_INITIATION);
	cookie_maker_add_macs(&maker, (uint8_t *)&a.init, sizeof(a.init), 0);
	a.src.sin_family = AF_INET;
	a.mono = 1000 * NS_PER_SEC;
	a.under_load = false;
	idle = ns_per_call(admit_once, &a);
	a.under_load = true;
	load = ns_per_call(admit_once, &a);
	if (!a.cookie_replies) {
		fprintf(stderr, "microbench: no cookie reply made\n");
		return -EINVAL;
	}
	printf("admit_valid_mac1_idle_ns=%.0f\n", idle);
	printf("admit_valid_mac1_under_load_ns=%.0f\n", load);
	return 0;
}

/* ------------------------------------------------------------ primitives */

struct primitive_input {
	uint8_t key[32], priv[32], pub[32], out[64];
	uint8_t msg[MESSAGE_INITIATION_LEN];
};

static void do_mac1(void *ctx)
{
	struct primitive_input *p = ctx;

	blake2s(p->out, MAC_LEN, p->key, 32, p->msg,
		offsetof(struct message_handshake_initiation, macs));
}

static void do_hmac(void *ctx)
{
	struct primitive_input *p = ctx;

	/* The shape of one KDF step: a 32-byte key over 33 bytes. */
	hmac_blake2s(p->out, p->key, 32, p->msg, 33);
}

static void do_x25519(void *ctx)
{
	struct primitive_input *p = ctx;

	x25519(p->out, p->priv, p->pub);
}

static void do_x25519_public(void *ctx)
{
	struct primitive_input *p = ctx;

	x25519_public_from_private(p->out, p->priv);
}

static void do_random24(void *ctx)
{
	struct primitive_input *p = ctx;

	crypto_random(p->out, COOKIE_NONCE_LEN);
}

static void do_nonce24(void *ctx)
{
	struct primitive_input *p = ctx;

	crypto_nonce(p->out, COOKIE_NONCE_LEN);
}

static void do_xchacha_cookie(void *ctx)
{
	struct primitive_input *p = ctx;

	xchacha20poly1305_encrypt(p->out + 24, p->out + 24, COOKIE_LEN, p->msg,
				  MAC_LEN, p->msg + 32, p->key);
}

static int bench_primitives(void)
{
	static struct primitive_input p;
	static const struct {
		const char *name;
		void (*fn)(void *);
	} prims[] = {
		{ "blake2s_mac1_ns", do_mac1 },
		{ "hmac_blake2s_ns", do_hmac },
		{ "x25519_ns", do_x25519 },
		{ "x25519_public_ns", do_x25519_public },
		{ "random_nonce24_ns", do_random24 },
		{ "stream_nonce24_ns", do_nonce24 },
		{ "xchacha20poly1305_cookie_ns", do_xchacha_cookie },
	};

	rng_fill(p.key, sizeof(p.key));
	rng_fill(p.msg, sizeof(p.msg));
	if (x25519_generate_private(p.priv) < 0 ||
	    x25519_generate_private(p.out) < 0)
		return -EIO;
	x25519_public_from_private(p.pub, p.out);
	for (size_t i = 0; i < sizeof(prims) / sizeof(prims[0]); i++)
		printf("%s=%.0f\n", prims[i].name,
		       ns_per_call(prims[i].fn, &p));
	crypto_wipe(&p, sizeof(p));
	return 0;
}

/* ------------------------------------------------------------ data path */

#define DATAPATH_LEN 1420 /* a full packet at the tunnel's MTU */
#define DATAPATH_REPEATS 7

struct datapath_input {
	uint8_t key[6][CHACHA20POLY1305_KEY_LEN];
	uint8_t buf[DATAPATH_LEN + CHACHA20POLY1305_TAG_LEN];
	uint8_t sealed[DATAPATH_LEN + CHACHA20POLY1305_TAG_LEN];
	uint8_t copy[DATAPATH_LEN];
	uint64_t counter;
	volatile uint64_t sink; /* keeps the sums from being optimised out */
};

static void do_seal(void *ctx)
{
	struct datapath_input *p = ctx;

	chacha20poly1305_encrypt(p->buf, p->buf, DATAPATH_LEN, NULL, 0,
				 p->counter++, p->key[0]);
}

/* Two sessions' packets interleaved, as a hub's worker opens under one
 * peer's key and seals under another's: the key differs from the last
 * call's every time. */
static void do_seal_keychange(void *ctx)
{
	struct datapath_input *p = ctx;

	chacha20poly1305_encrypt(p->buf, p->buf, DATAPATH_LEN, NULL, 0,
				 p->counter, p->key[p->counter & 1]);
	p->counter++;
}

/* Six sessions in turn: more keys than a thread keeps set up (4), so
 * every call sets its key up again, the worst case. */
static void do_seal_keys6(void *ctx)
{
	struct datapath_input *p = ctx;

	chacha20poly1305_encrypt(p->buf, p->buf, DATAPATH_LEN, NULL, 0,
				 p->counter, p->key[p->counter % 6]);
	p->counter++;
}

static void do_open(void *ctx)
{
	struct datapath_input *p = ctx;

	if (!chacha20poly1305_decrypt(p->buf, p->sealed, sizeof(p->sealed),
				      NULL, 0, 7, p->key[0]))
		abort();
}

static void do_csum(void *ctx)
{
	struct datapath_input *p = ctx;

	p->sink += inet_csum_partial(p->buf + (p->counter++ & 1), DATAPATH_LEN,
				     0);
}

static void do_csum_copy(void *ctx)
{
	struct datapath_input *p = ctx;

	p->sink += sum_copy_native(p->copy, p->buf, DATAPATH_LEN);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of DATAPATH_REPEATS timings of fn, and its spread in percent. */
static double ns_median(void (*fn)(void *), void *ctx, double *spread)
{
	double t[DATAPATH_REPEATS];

	for (int i = 0; i < DATAPATH_REPEATS; i++)
		t[i] = ns_per_call(fn, ctx);
	qsort(t, DATAPATH_REPEATS, sizeof(t[0]), cmp_double);
	*spread = 100 * (t[DATAPATH_REPEATS - 1] - t[0]) /
		  t[DATAPATH_REPEATS / 2];
	return t[DATAPATH_REPEATS / 2];
}

static int bench_datapath(void)
{
	static struct datapath_input p;
	static const struct {
		const char *name;
		void (*fn)(void *);
	} prims[] = {
		{ "seal_1420_ns", do_seal },
		{ "seal_1420_keychange_ns", do_seal_keychange },
		{ "seal_1420_keys6_ns", do_seal_keys6 },
		{ "open_1420_ns", do_open },
		{ "csum_1420_ns", do_csum },
		{ "csum_copy_1420_ns", do_csum_copy },
	};
	double ns, spread;

	rng_fill((uint8_t *)p.key, sizeof(p.key));
	rng_fill(p.buf, sizeof(p.buf));
	if (!chacha20poly1305_encrypt(p.sealed, p.buf, DATAPATH_LEN, NULL, 0, 7,
				      p.key[0]))
		return -EIO;
	for (size_t i = 0; i < sizeof(prims) / sizeof(prims[0]); i++) {
		ns = ns_median(prims[i].fn, &p, &spread);
		printf("%s=%.0f\n", prims[i].name, ns);
		printf("%s_spread_pct=%.0f\n", prims[i].name, spread);
	}
	crypto_wipe(&p, sizeof(p));
	return 0;
}

/* ------------------------------------------------------------ setconf file */

static void print_key(const char *name, const uint8_t key[static 32])
{
	unsigned char b64[45];

	EVP_EncodeBlock(b64, key, 32);
	printf("%s = %s\n", name, b64);
}

/* Peer i gets 10.(i>>8 & 0xff).(i & 0xff).(1 + (i>>16))/32 and fd77::i/128:
 * distinct for i below 16,711,680. */
static int print_conf(long npeers)
{
	uint8_t priv[32], pub[32];
	long i;

	if (npeers < 1 || npeers > 16000000)
		return -EINVAL;
	if (x25519_generate_private(priv) < 0)
		return -EIO;
	printf("[Interface]\n");
	print_key("PrivateKey", priv);
	for (i = 0; i < npeers; i++) {
		if (x25519_generate_private(priv) < 0)
			return -EIO;
		x25519_public_from_private(pub, priv);
		printf("\n[Peer]\n");
		print_key("PublicKey", pub);
		printf("AllowedIPs = 10.%ld.%ld.%ld/32, fd77::%lx:%lx/128\n",
		       (i >> 8) & 0xff, i & 0xff, 1 + (i >> 16), i >> 16,
		       i & 0xffff);
	}
	crypto_wipe(priv, sizeof(priv));
	return 0;
}

static int bench_handshake_figures(void)
{
	int ret = bench_handshakes();

	if (!ret)
		ret = bench_admission();
	if (!ret)
		ret = bench_primitives();
	return ret;
}

int main(int argc, char **argv)
{
	long nprefix = 1000000;
	int ret;

	if (crypto_init() < 0)
		return 1;
	if (argc == 3 && !strcmp(argv[1], "conf"))
		return print_conf(atol(argv[2])) < 0;
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "handshake") &&
			  strcmp(argv[1], "datapath") &&
			  (nprefix = atol(argv[1])) < 1)) {
		fprintf(stderr,
			"usage: %s [PREFIXES] | %s handshake | %s datapath | "
			"%s conf NPEERS\n",
			argv[0], argv[0], argv[0], argv[0]);
		return 2;
	}
	if (argc == 2 && !strcmp(argv[1], "handshake"))
		return bench_handshake_figures() < 0;
	if (argc == 2 && !strcmp(argv[1], "datapath"))
		return bench_datapath() < 0;
	ret = bench_allowedips(nprefix);
	if (!ret)
		ret = bench_handshake_figures();
	return ret < 0;
}
