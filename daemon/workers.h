/* SPDX-License-Identifier: MIT */
/*
 * Crypto workers: the transport-data AEAD of one batch spread over a few
 * threads (issue 4).
 *
 * Fork-join per batch: the event loop prepares every job of a batch (keys,
 * counters and headers are assigned by the loop, in order), hands the batch
 * to the pool, takes jobs itself too, and gets control back only when every
 * job is done. It then sends or delivers the batch in its original order,
 * so per-peer order — and any other order — is exactly that of the single
 * threaded path. Workers touch nothing but the jobs: no peer, keypair,
 * socket or table is shared with them, so the rest of the daemon keeps its
 * one-thread, no-lock design; a keypair a job points to cannot be freed
 * while the batch runs because the loop that would free it is waiting.
 *
 * Ownership: the device owns one struct workers (device_init/device_close
 * through workers_start/workers_stop); the jobs array belongs to the
 * caller of workers_run for the duration of the call.
 */
#ifndef LW_WORKERS_H
#define LW_WORKERS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum crypt_op { CRYPT_ENCRYPT, CRYPT_DECRYPT };

/* One transport-data AEAD, in place: for CRYPT_ENCRYPT len bytes of
 * plaintext get their tag appended; for CRYPT_DECRYPT len bytes of
 * ciphertext with the tag are checked and decrypted, ok says whether the
 * tag matched. */
struct crypt_job {
	uint8_t *data;
	size_t len;
	uint64_t counter;
	const uint8_t *key; /* 32 bytes, valid until workers_run returns */
	bool ok;
};

/* More threads than this add nothing on the machines we target and cost
 * a stack each. */
#define WORKERS_MAX_THREADS 8
/* Batches smaller than this are done by the loop alone: waking a thread
 * costs more than the AEAD of a few small packets, and a ping should not
 * wait for a wake-up. */
#define WORKERS_MIN_BATCH_BYTES (16 * 1024)
#define WORKERS_MIN_BATCH_JOBS 4
/* Jobs claimed at a time: few enough to share a batch evenly, enough to
 * keep the shared counter cold. */
#define WORKERS_CHUNK 2
/* Polls of `active` before the loop sleeps: a helper that is running has
 * at most a chunk (a few microseconds) left, and a sleep-and-wake costs
 * more than that, or a whole time slice when the core is busy. */
#define WORKERS_SPIN 4000

struct workers {
	unsigned nthreads; /* helper threads; 0: the loop does all */
	pthread_t threads[WORKERS_MAX_THREADS];
	pthread_mutex_t lock;
	pthread_cond_t start; /* a batch opened, or stop */
	pthread_cond_t idle;  /* a helper left the batch */
	bool stop;
	/* The open batch; read by helpers under lock when they join it. */
	uint64_t generation;
	bool open;
	struct crypt_job *jobs;
	unsigned njobs;
	enum crypt_op op;
	/* Helpers inside the batch: joined under lock, left without it so the
	 * loop can spin on it rather than sleep (see workers_run). */
	atomic_uint active;
	bool loop_waiting; /* under lock: the loop sleeps on idle */
	atomic_uint next; /* first unclaimed job */
	/* Statistics, for tests and the benchmark. */
	uint64_t batches_shared;   /* batches helpers were woken for */
	atomic_ullong helper_jobs; /* jobs done by helpers */
};

/* The number of crypto threads (loop included) to use: LANWIRE_THREADS if
 * set to 1..WORKERS_MAX_THREADS + 1, else one per online CPU, capped. */
unsigned workers_threads_wanted(void);
/* Starts nthreads - 1 helpers (nthreads <= 1: none). 0 or -errno; on error
 * no helper runs and the loop does all the work. */
int workers_start(struct workers *w, unsigned nthreads);
/* Runs every job and returns when all are done. */
void workers_run(struct workers *w, struct crypt_job *jobs, unsigned njobs,
		 enum crypt_op op);
/* Ends and joins the helpers. Safe on a zeroed or stopped struct. */
void workers_stop(struct workers *w);

#endif
