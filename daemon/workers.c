// SPDX-License-Identifier: MIT
/*
 * Crypto workers: fork-join of one batch of transport-data AEAD jobs over
 * a few threads. See workers.h for why the order of packets is kept.
 *
 * A batch is "open" from workers_run's start until every job is done and
 * no helper is inside it. Helpers join an open batch under the lock, so
 * each sees one consistent jobs/njobs/op; the loop closes the batch only
 * after the last helper has left, so a helper can never claim a job of the
 * next batch with the array of the previous one.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "crypto.h"
#include "log.h"
#include "workers.h"

unsigned workers_threads_wanted(void)
{
	const char *env = getenv("LANWIRE_THREADS");
	long n;

	if (env && *env) {
		char *end;

		n = strtol(env, &end, 10);
		if (!*end && n >= 1 && n <= WORKERS_MAX_THREADS + 1)
			return (unsigned)n;
		log_error("LANWIRE_THREADS=%s ignored: want 1..%d", env,
			  WORKERS_MAX_THREADS + 1);
	}
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	if (n > WORKERS_MAX_THREADS + 1)
		n = WORKERS_MAX_THREADS + 1;
	return (unsigned)n;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

static void run_job(struct crypt_job *j, enum crypt_op op)
{
	if (op == CRYPT_ENCRYPT) {
		j->ok = chacha20poly1305_encrypt(j->data, j->data, j->len,
						 NULL, 0, j->counter, j->key);
	} else {
		j->ok = chacha20poly1305_decrypt(j->data, j->data, j->len,
						 NULL, 0, j->counter, j->key);
	}
}

/* Claims and runs jobs until none is left; returns how many it ran. */
static unsigned run_claimed(struct workers *w, struct crypt_job *jobs,
			    unsigned njobs, enum crypt_op op)
{
	unsigned ran = 0;

	for (;;) {
		unsigned i = atomic_fetch_add_explicit(&w->next, WORKERS_CHUNK,
						       memory_order_relaxed);

		if (i >= njobs)
			return ran;
		for (unsigned k = i; k < njobs && k < i + WORKERS_CHUNK; k++) {
			run_job(&jobs[k], op);
			ran++;
		}
	}
}

static void *helper_main(void *arg)
{
	struct workers *w = arg;
	uint64_t seen = 0;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct crypt_job *jobs;
		unsigned njobs, ran;
		enum crypt_op op;
		bool last;

		while (!w->stop && (!w->open || w->generation == seen))
			pthread_cond_wait(&w->start, &w->lock);
		if (w->stop)
			break;
		seen = w->generation;
		jobs = w->jobs;
		njobs = w->njobs;
		op = w->op;
		atomic_fetch_add_explicit(&w->active, 1, memory_order_relaxed);
		pthread_mutex_unlock(&w->lock);

		ran = run_claimed(w, jobs, njobs, op);
		atomic_fetch_add_explicit(&w->helper_jobs, ran,
					  memory_order_relaxed);

		/* release: our writes to the jobs happen before the loop,
		 * seeing active drop, reads them. */
		last = atomic_fetch_sub_explicit(&w->active, 1,
						 memory_order_release) == 1;
		pthread_mutex_lock(&w->lock);
		if (last && w->loop_waiting)
			pthread_cond_signal(&w->idle);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int workers_start(struct workers *w, unsigned nthreads)
{
	int ret;

	w->nthreads = 0;
	if (nthreads <= 1)
		return 0;
	if (nthreads > WORKERS_MAX_THREADS + 1)
		nthreads = WORKERS_MAX_THREADS + 1;
	if ((ret = pthread_mutex_init(&w->lock, NULL)))
		return -ret;
	if ((ret = pthread_cond_init(&w->start, NULL))) {
		pthread_mutex_destroy(&w->lock);
		return -ret;
	}
	if ((ret = pthread_cond_init(&w->idle, NULL))) {
		pthread_cond_destroy(&w->start);
		pthread_mutex_destroy(&w->lock);
		return -ret;
	}
	w->stop = false;
	w->open = false;
	w->generation = 0;
	atomic_init(&w->active, 0);
	w->loop_waiting = false;
	atomic_init(&w->next, 0);
	atomic_init(&w->helper_jobs, 0);
	w->batches_shared = 0;
	for (unsigned i = 0; i < nthreads - 1; i++) {
		ret = pthread_create(&w->threads[i], NULL, helper_main, w);
		if (ret) {
			w->nthreads = i;
			workers_stop(w);
			return -ret;
		}
		w->nthreads = i + 1;
	}
	return 0;
}

static bool worth_sharing(const struct workers *w,
			  const struct crypt_job *jobs, unsigned njobs)
{
	size_t bytes = 0;

	if (!w->nthreads || njobs < WORKERS_MIN_BATCH_JOBS)
		return false;
	for (unsigned i = 0; i < njobs; i++) {
		bytes += jobs[i].len;
		if (bytes >= WORKERS_MIN_BATCH_BYTES)
			return true;
	}
	return false;
}

void workers_run(struct workers *w, struct crypt_job *jobs, unsigned njobs,
		 enum crypt_op op)
{
	if (!worth_sharing(w, jobs, njobs)) {
		for (unsigned i = 0; i < njobs; i++)
			run_job(&jobs[i], op);
		return;
	}
	pthread_mutex_lock(&w->lock);
	w->jobs = jobs;
	w->njobs = njobs;
	w->op = op;
	atomic_store_explicit(&w->next, 0, memory_order_relaxed);
	w->generation++;
	w->open = true;
	w->batches_shared++;
	pthread_cond_broadcast(&w->start);
	pthread_mutex_unlock(&w->lock);

	run_claimed(w, jobs, njobs, op);

	/* Every job is claimed; wait for the helpers still running theirs,
	 * spinning first. acquire pairs with their release. */
	for (unsigned i = 0; i < WORKERS_SPIN; i++) {
		if (!atomic_load_explicit(&w->active, memory_order_acquire))
			break;
		cpu_relax();
	}
	pthread_mutex_lock(&w->lock);
	/* Under the lock no helper can join, so a zero here is final. */
	w->loop_waiting = true;
	while (atomic_load_explicit(&w->active, memory_order_acquire))
		pthread_cond_wait(&w->idle, &w->lock);
	w->loop_waiting = false;
	w->open = false;
	w->jobs = NULL;
	w->njobs = 0;
	pthread_mutex_unlock(&w->lock);
}

void workers_stop(struct workers *w)
{
	unsigned n = w->nthreads;

	if (!n)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_broadcast(&w->start);
	pthread_mutex_unlock(&w->lock);
	for (unsigned i = 0; i < n; i++)
		pthread_join(w->threads[i], NULL);
	pthread_cond_destroy(&w->idle);
	pthread_cond_destroy(&w->start);
	pthread_mutex_destroy(&w->lock);
	w->nthreads = 0;
}
