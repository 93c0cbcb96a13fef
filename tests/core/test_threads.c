/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Threads hammering one core: ioctls and mmaps on private files and on one
 * shared file, while a separate thread releases their mappings (as a pager
 * destructor would, from anywhere, even after close) and another runs the
 * reclaim timer.  Run under the sanitizer build it finds races on the
 * core's own data; the fake OS checks the lock rules on every call.
 */

#include <pthread.h>
#include <stdlib.h>
#include <errno.h>

#include "test_util.h"

#define	NWORKERS	4
#define	ITERS		300
#define	QMAX		4096

static struct gntdev_core *core;
static struct gntdev_file *shared_file;

/* Mappings handed to the releaser thread. */
static pthread_mutex_t qmtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qcv = PTHREAD_COND_INITIALIZER;
static struct gntdev_mapping *queue[QMAX];
static size_t qhead, qtail;
static bool workers_done;

static void
enqueue(struct gntdev_mapping *m)
{

	pthread_mutex_lock(&qmtx);
	while (qtail - qhead == QMAX)
		pthread_cond_wait(&qcv, &qmtx);
	queue[qtail++ % QMAX] = m;
	pthread_cond_broadcast(&qcv);
	pthread_mutex_unlock(&qmtx);
}

static void *
releaser(void *arg)
{
	struct gntdev_mapping *m;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&qmtx);
		while (qhead == qtail && !workers_done)
			pthread_cond_wait(&qcv, &qmtx);
		if (qhead == qtail) {
			pthread_mutex_unlock(&qmtx);
			return (NULL);
		}
		m = queue[qhead++ % QMAX];
		pthread_cond_broadcast(&qcv);
		pthread_mutex_unlock(&qmtx);
		gntdev_mapping_release(m);
	}
}

static void *
reclaimer(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 2000; i++)
		(void)gntdev_core_reclaim(core);
	return (NULL);
}

struct worker {
	pthread_t	thr;
	int		id;
	int		failures;
	uint32_t	ids[8];
	struct ioctl_gntdev_grant_ref refs[8];
	uint32_t	busy[ITERS];	/* refs a "peer" still maps */
	int		nbusy;
};

static void *
worker(void *arg)
{
	struct worker *w = arg;
	struct gntdev_file *own, *f;
	struct gntdev_mapping *m, *m2;
	struct gntdev_stats st;
	uint64_t a, idx;
	int i;

	if (gntdev_file_open(core, OS_FILE, &own) != 0) {
		w->failures++;
		return (NULL);
	}
	fill_refs(w->refs, 8, 1, 1000 + (uint32_t)w->id);
	for (i = 0; i < ITERS; i++) {
		f = (i % 3 == 0) ? shared_file : own;
		if (do_alloc(f, 1, 1, 2, w->ids, &a) != 0) {
			w->failures++;
			continue;
		}
		/* Now and then the peer keeps a page mapped: it gets parked. */
		if (i % 5 == 0) {
			fake_set_busy(w->ids[1], true);
			w->busy[w->nbusy++] = w->ids[1];
		}
		if (gntdev_core_mmap(f, a, 2 * PG, 3, &m) != 0)
			w->failures++;
		else
			enqueue(m);
		(void)do_notify(f, a + PG + 1,
		    UNMAP_NOTIFY_CLEAR_BYTE | UNMAP_NOTIFY_SEND_EVENT, 5);
		if (do_dealloc(f, a, 2) != 0)
			w->failures++;

		if (do_map(f, 3, w->refs, &idx) != 0) {
			w->failures++;
			continue;
		}
		if (gntdev_core_mmap(f, idx, 3 * PG, 3, &m) != 0) {
			w->failures++;
		} else {
			gntdev_mapping_ref(m);
			if (gntdev_core_mmap(f, idx, 3 * PG, 1, &m2) == 0)
				enqueue(m2);
			enqueue(m);
			enqueue(m);
		}
		(void)do_notify(f, idx + 2,
		    UNMAP_NOTIFY_CLEAR_BYTE | UNMAP_NOTIFY_SEND_EVENT, 5);
		if (do_unmap(f, idx, 3) != 0)
			w->failures++;
		gntdev_core_stats(core, &st);
		gntdev_file_stats(f, &st);
	}
	/* The peers let go; the reclaimer thread (or main) frees the pages. */
	for (i = 0; i < w->nbusy; i++)
		fake_set_busy(w->busy[i], false);
	/* Close with mappings still queued: they outlive the file. */
	(void)do_alloc(own, 1, 1, 1, w->ids, &a);
	if (gntdev_core_mmap(own, a, PG, 3, &m) == 0)
		enqueue(m);
	gntdev_file_close(own);
	return (NULL);
}

static void
test_threads(void **state)
{
	struct worker w[NWORKERS];
	pthread_t rel, rec;
	struct gntdev_limits lim;
	int i;

	(void)state;
	fake_reset();
	fake_evtchn_bind(5);
	fx_limits(&lim);
	lim.max_pages_per_file = 1U << 20;
	lim.max_pages_global = 1U << 20;
	assert_int_equal(gntdev_core_create(&lim, FAKE_OS, &core), 0);
	assert_int_equal(gntdev_file_open(core, OS_FILE2, &shared_file), 0);
	workers_done = false;
	qhead = qtail = 0;
	assert_int_equal(pthread_create(&rel, NULL, releaser, NULL), 0);
	assert_int_equal(pthread_create(&rec, NULL, reclaimer, NULL), 0);
	for (i = 0; i < NWORKERS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].id = i;
		fake_user_add(w[i].ids, sizeof(w[i].ids));
		fake_user_add(w[i].refs, sizeof(w[i].refs));
		assert_int_equal(pthread_create(&w[i].thr, NULL, worker,
		    &w[i]), 0);
	}
	for (i = 0; i < NWORKERS; i++) {
		pthread_join(w[i].thr, NULL);
		assert_int_equal(w[i].failures, 0);
	}
	pthread_mutex_lock(&qmtx);
	workers_done = true;
	pthread_cond_broadcast(&qcv);
	pthread_mutex_unlock(&qmtx);
	pthread_join(rel, NULL);
	pthread_join(rec, NULL);
	gntdev_file_close(shared_file);
	assert_true(fake_count(FAKE_RECLAIM_SCHEDULE) > 0);
	assert_int_equal(gntdev_core_reclaim(core), 0);
	fx_assert_clean(core);
	assert_int_equal(gntdev_core_destroy(core), 0);
	fx_assert_no_fake_leaks();
	/* Every armed notification fired exactly once. */
	assert_int_equal(fake_evtchn_sent(5), 2 * NWORKERS * ITERS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads),
	};

	return (cmocka_run_group_tests_name("gntdev_threads", tests, NULL,
	    NULL));
}
