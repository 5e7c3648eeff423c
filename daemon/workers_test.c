// SPDX-License-Identifier: MIT
/*
 * Crypto workers: a batch run by the pool gives exactly the bytes the
 * single-threaded path gives, every job is done once, a bad tag fails only
 * its own job, and thousands of batches in a row (sizes around the
 * sharing threshold) never lose or mix up a job.
 */
#include <stdlib.h>
#include <string.h>

#include "../tests/test.h"
#include "crypto.h"
#include "workers.h"

/* valgrind runs one thread at a time and switches only every ~100,000
 * basic blocks, so whether a helper ever gets the CPU while a batch is
 * open is luck there (CI saw a run where none did). Under valgrind the
 * pool is checked for memory errors and results only; that helpers take
 * part is checked by the plain and ThreadSanitizer runs, on real threads. */
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define UNDER_VALGRIND() (RUNNING_ON_VALGRIND != 0)
#else
#define UNDER_VALGRIND() 0
#endif

#define NJOBS 160
#define JOB_MAX 1500

static uint8_t bufs[NJOBS][JOB_MAX + 16];
static uint8_t ref[NJOBS][JOB_MAX + 16];
static struct crypt_job jobs[NJOBS];
static uint8_t keys[4][32];

static void fill_batch(unsigned n, size_t len, uint64_t seed)
{
	for (unsigned i = 0; i < n; i++) {
		for (size_t k = 0; k < len; k++)
			bufs[i][k] = (uint8_t)(seed + i * 31 + k);
		jobs[i].data = bufs[i];
		jobs[i].len = len;
		jobs[i].counter = seed + i;
		jobs[i].key = keys[i % 4];
		jobs[i].ok = false;
	}
}

static void reference(unsigned n, size_t len)
{
	for (unsigned i = 0; i < n; i++) {
		memcpy(ref[i], bufs[i], len);
		chacha20poly1305_encrypt(ref[i], ref[i], len, NULL, 0,
					 jobs[i].counter, jobs[i].key);
	}
}

static bool batch_matches(unsigned n, size_t len)
{
	for (unsigned i = 0; i < n; i++)
		if (!jobs[i].ok || memcmp(bufs[i], ref[i], len + 16))
			return false;
	return true;
}

static void test_same_bytes_as_one_thread(struct workers *w)
{
	fill_batch(NJOBS, 1400, 7);
	reference(NJOBS, 1400);
	workers_run(w, jobs, NJOBS, CRYPT_ENCRYPT);
	CHECK(batch_matches(NJOBS, 1400));
	/* And back: every tag checks, the plaintext returns. */
	for (unsigned i = 0; i < NJOBS; i++)
		jobs[i].len = 1400 + 16;
	bufs[77][5] ^= 1; /* one forged message */
	workers_run(w, jobs, NJOBS, CRYPT_DECRYPT);
	for (unsigned i = 0; i < NJOBS; i++) {
		if (i == 77) {
			CHECK(!jobs[i].ok);
			continue;
		}
		if (!jobs[i].ok || bufs[i][0] != (uint8_t)(7 + i * 31) ||
		    bufs[i][1399] != (uint8_t)(7 + i * 31 + 1399)) {
			CHECK(0);
			return;
		}
	}
	CHECK(1);
}

static void test_many_batches(struct workers *w)
{
	unsigned bad = 0;

	for (unsigned round = 0; round < 3000; round++) {
		unsigned n = 1 + round % NJOBS;
		size_t len = 64 + (round * 97) % (JOB_MAX - 64);

		fill_batch(n, len, round);
		reference(n, len);
		workers_run(w, jobs, n, CRYPT_ENCRYPT);
		if (!batch_matches(n, len))
			bad++;
	}
	CHECK_EQ(bad, 0);
}

static void test_pool(unsigned nthreads)
{
	struct workers w;

	memset(&w, 0, sizeof(w));
	CHECK_EQ(workers_start(&w, nthreads), 0);
	CHECK_EQ(w.nthreads, nthreads > 1 ? nthreads - 1 : 0);
	test_same_bytes_as_one_thread(&w);
	test_many_batches(&w);
	if (nthreads > 1) {
		CHECK(w.batches_shared > 0);
		/* Helpers took part (over thousands of large batches at least
		 * one of them got a job). */
		if (!UNDER_VALGRIND())
			CHECK(atomic_load(&w.helper_jobs) > 0);
	} else {
		CHECK_EQ(w.batches_shared, 0);
	}
	workers_stop(&w);
	CHECK_EQ(w.nthreads, 0);
	workers_stop(&w); /* twice is harmless */
}

static void test_small_batches_stay_on_the_loop(void)
{
	struct workers w;

	memset(&w, 0, sizeof(w));
	CHECK_EQ(workers_start(&w, 3), 0);
	fill_batch(3, 1400, 1); /* fewer than WORKERS_MIN_BATCH_JOBS */
	reference(3, 1400);
	workers_run(&w, jobs, 3, CRYPT_ENCRYPT);
	CHECK(batch_matches(3, 1400));
	fill_batch(40, 60, 2); /* 2400 bytes: below the byte threshold */
	reference(40, 60);
	workers_run(&w, jobs, 40, CRYPT_ENCRYPT);
	CHECK(batch_matches(40, 60));
	CHECK_EQ(w.batches_shared, 0);
	workers_run(&w, jobs, 0, CRYPT_ENCRYPT); /* empty */
	workers_stop(&w);
}

static void test_threads_wanted(void)
{
	setenv("LANWIRE_THREADS", "1", 1);
	CHECK_EQ(workers_threads_wanted(), 1);
	setenv("LANWIRE_THREADS", "3", 1);
	CHECK_EQ(workers_threads_wanted(), 3);
	unsetenv("LANWIRE_THREADS");
	unsigned dflt = workers_threads_wanted();
	CHECK(dflt >= 1 && dflt <= WORKERS_MAX_THREADS + 1);
	/* Out of range or not a number: the default, not a crash. */
	setenv("LANWIRE_THREADS", "0", 1);
	CHECK_EQ(workers_threads_wanted(), dflt);
	setenv("LANWIRE_THREADS", "100", 1);
	CHECK_EQ(workers_threads_wanted(), dflt);
	setenv("LANWIRE_THREADS", "2x", 1);
	CHECK_EQ(workers_threads_wanted(), dflt);
	setenv("LANWIRE_THREADS", "-2", 1);
	CHECK_EQ(workers_threads_wanted(), dflt);
	unsetenv("LANWIRE_THREADS");
}

int main(void)
{
	if (crypto_init() < 0)
		return 1;
	for (unsigned i = 0; i < 4; i++)
		memset(keys[i], (int)(0x11 * (i + 1)), sizeof(keys[i]));
	test_pool(1);
	test_pool(2);
	test_pool(4);
	test_small_batches_stay_on_the_loop();
	test_threads_wanted();
	return test_finish("workers");
}
