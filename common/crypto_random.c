/* SPDX-License-Identifier: MIT */
/*
 * Random bytes for the daemon: crypto_random() straight from RAND_bytes,
 * and crypto_nonce(), the per-thread nonce stream for cookie replies (a
 * ChaCha20 keystream under a random key, rekeyed every MiB and after
 * fork()). Keys come from crypto_x25519.c's private DRBG, not from here.
 */
#include "crypto_internal.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define CHACHA20_KEY_LEN 32
#define CHACHA20_IV_LEN 16 /* OpenSSL's: 32-bit block counter || 96-bit nonce */
/* How much keystream one key makes before the stream takes a fresh key
 * from RAND_bytes. */
#define NONCE_STREAM_REKEY_BYTES (1u << 20)

int crypto_random(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		int chunk = len > INT_MAX ? INT_MAX : (int)len;

		if (RAND_bytes(p, chunk) != 1) {
			ERR_clear_error();
			return -EIO;
		}
		p += chunk;
		len -= (size_t)chunk;
	}
	return 0;
}

/*
 * A fresh key and starting position for the stream, from RAND_bytes. The
 * old one is gone with it: the context holds only the newest key.
 */
static bool nonce_stream_rekey(struct nonce_stream *ns)
{
	uint8_t seed[CHACHA20_KEY_LEN + CHACHA20_IV_LEN];
	bool ok;

	if (!ns->chacha20 && !(ns->chacha20 = EVP_CIPHER_CTX_new()))
		return false;
	ok = crypto_random(seed, sizeof(seed)) == 0 &&
	     EVP_EncryptInit_ex(ns->chacha20, chacha20_cipher, NULL, seed,
				seed + CHACHA20_KEY_LEN);
	crypto_wipe(seed, sizeof(seed));
	ns->pos = sizeof(ns->buf);
	ns->left = ok ? NONCE_STREAM_REKEY_BYTES : 0;
	ns->fork_gen = fork_generation;
	return ok;
}

/* The next buffer of keystream: ChaCha20 of zeros. */
static bool nonce_stream_refill(struct nonce_stream *ns)
{
	static const uint8_t zeros[NONCE_STREAM_BUF];
	int outl;

	if ((ns->left < sizeof(ns->buf) || ns->fork_gen != fork_generation) &&
	    !nonce_stream_rekey(ns))
		return false;
	if (!EVP_EncryptUpdate(ns->chacha20, ns->buf, &outl, zeros,
			       sizeof(zeros)) ||
	    outl != (int)sizeof(zeros))
		return false;
	ns->left -= sizeof(ns->buf);
	ns->pos = 0;
	return true;
}

/*
 * Why a keystream is good enough for the nonces of cookie replies: they
 * are XChaCha20-Poly1305 nonces under the cookie key, which is fixed for
 * our identity, and what that AEAD needs is that no nonce repeats under
 * it. Successive pieces of one ChaCha20 keystream under a random key are
 * as unlikely to collide as random 192-bit strings (one in 2^113 or so
 * after 2^40 replies), keys are fresh from RAND_bytes every MiB of
 * keystream, and a forked child keys its own stream before its first
 * nonce. A counter would be unique too, but would start over with every
 * restart of the daemon under the same identity. Unpredictability is only
 * nice to have here (the nonce travels in clear text next to the reply);
 * predicting the stream means knowing its key, which never leaves this
 * thread's context. A nonce costs a copy, plus a ChaCha20 pass over
 * NONCE_STREAM_BUF bytes every 20 nonces, instead of a RAND_bytes call.
 */
int crypto_nonce(void *buf, size_t len)
{
	struct crypto_thread *t = crypto_thread_get();
	struct nonce_stream *ns;
	uint8_t *p = buf;

	if (!t)
		return -ENOMEM;
	ns = &t->nonces;
	/* Not keyed yet, or keyed by the parent before fork(): nothing in
	 * buf may be handed out. */
	if (!ns->chacha20 || ns->fork_gen != fork_generation)
		ns->pos = sizeof(ns->buf);
	while (len) {
		size_t n;

		if (ns->pos == sizeof(ns->buf) && !nonce_stream_refill(ns)) {
			ERR_clear_error();
			return -EIO;
		}
		n = sizeof(ns->buf) - ns->pos;
		if (n > len)
			n = len;
		memcpy(p, ns->buf + ns->pos, n);
		crypto_wipe(ns->buf + ns->pos, n);
		ns->pos += n;
		p += n;
		len -= n;
	}
	return 0;
}
