/* The tree's page (core/page.h): one writer, readers that trust nothing. */
#include "../../core/clock.h"
#include "../../core/page.h"
#include "../../core/page_layout.h"
#include "unit.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define FP 0xfeedfacecafebeefULL

static struct stsenv_cred cred(int gen, int64_t exp)
{
	static char id[64], secret[64], token[64];

	sprintf(id, "STS.gen%06d", gen);
	sprintf(secret, "secret-%06d", gen);
	sprintf(token, "token-%06d", gen);
	return (struct stsenv_cred){id, secret, token, exp};
}

/* A write of the keeper's. */
static void put(struct stsenv_page *p, const struct stsenv_cred *c, uint64_t gen,
		enum stsenv_page_state state, int64_t next, const char *error)
{
	stsenv_page_write(p, &(struct stsenv_page_update){.cred = c,
							  .generation = gen,
							  .state = state,
							  .next_attempt_ms = next,
							  .error = error});
}

static int64_t later(int s)
{
	return stsenv_real_ms() + s * 1000LL;
}

static const struct stsenv_snap *read_snap(const struct stsenv_page_view *v,
					   struct stsenv_page_status *st)
{
	bool corrupt;
	const struct stsenv_snap *s = stsenv_page_snapshot(
		v, UINT64_MAX, stsenv_real_ms(), stsenv_mono_coarse_ms(), NULL, st, &corrupt);
	CHECK(!corrupt);
	return s;
}

static void test_write_then_read(void)
{
	struct stsenv_err err = {0};
	struct stsenv_page_status st;
	int fd;
	struct stsenv_page *p = stsenv_page_create(FP, NULL, &fd, &err);
	const struct stsenv_page_view *v;
	const struct stsenv_snap *s;
	struct stsenv_cred c = cred(1, later(60));

	CHECK(p != NULL);
	if (!p)
		return;
	v = stsenv_page_map(fd, FP, &err);
	CHECK(v != NULL);
	CHECK(read_snap(v, &st) == NULL && st.state == STSENV_PAGE_EMPTY);
	put(p, &c, 1, STSENV_PAGE_OK, later(30), "");
	s = read_snap(v, &st);
	CHECK(s && s->generation == 1 && st.state == STSENV_PAGE_OK);
	CHECK_STR(s->id, "STS.gen000001");
	CHECK_STR(s->token, "token-000001");
	CHECK(s->fingerprint == FP && s->origin == NULL);
	/* Same generation: nothing to copy. */
	{
		bool corrupt;
		CHECK(stsenv_page_snapshot(v, 1, stsenv_real_ms(), 0, NULL, &st, &corrupt) == NULL);
	}
	/* A failure keeps the credential and says why. */
	put(p, NULL, 0, STSENV_PAGE_FAILING, later(5),
	    "credentials URI http://h/c: HTTP status 500");
	s = read_snap(v, &st);
	CHECK(s && s->generation == 1 && st.state == STSENV_PAGE_FAILING);
	CHECK_STR(st.error, "credentials URI http://h/c: HTTP status 500");
	stsenv_page_destroy(p);
	close(fd);
}

/* The newest fetch wins: a credential re-issued with an earlier expiry
 * (after a revocation, a role change) replaces the one that lives longer. */
static void test_newest_wins_not_latest_expiry(void)
{
	struct stsenv_err err = {0};
	struct stsenv_page_status st;
	int fd;
	struct stsenv_page *p = stsenv_page_create(FP, NULL, &fd, &err);
	const struct stsenv_page_view *v = stsenv_page_map(fd, FP, &err);
	struct stsenv_cred a = cred(1, later(3600)), b = cred(2, later(600));
	const struct stsenv_snap *s;

	put(p, &a, 1, STSENV_PAGE_OK, 0, "");
	put(p, &b, 2, STSENV_PAGE_OK, 0, "");
	s = read_snap(v, &st);
	CHECK(s && s->generation == 2);
	CHECK_STR(s->id, "STS.gen000002");
	stsenv_page_destroy(p);
	close(fd);
}

/* Nobody but the keeper's mapping writes: not a new mapping, not a
 * descriptor reopened through /proc, not mprotect of a reader's view. */
static void test_no_other_writer(void)
{
	struct stsenv_err err = {0};
	int fd, fd2;
	char path[64];
	struct stsenv_page *p = stsenv_page_create(FP, NULL, &fd, &err);
	const struct stsenv_page_view *v = stsenv_page_map(fd, FP, &err);

	CHECK(mmap(NULL, stsenv_page_size(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) ==
	      MAP_FAILED);
	CHECK(mprotect((void *)v, stsenv_page_size(), PROT_READ | PROT_WRITE) != 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	fd2 = open(path, O_RDWR);
	if (fd2 >= 0) {
		CHECK(write(fd2, "x", 1) < 0);
		CHECK(mmap(NULL, stsenv_page_size(), PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0) ==
		      MAP_FAILED);
		close(fd2);
	}
	CHECK(ftruncate(fd, 1) != 0);
	CHECK(fcntl(fd, F_ADD_SEALS, 0) != 0 || (fcntl(fd, F_GET_SEALS) & F_SEAL_SEAL));
	stsenv_page_destroy(p);
	close(fd);
}

/* What a reader refuses to map at all. */
static void test_map_refuses(void)
{
	struct stsenv_err err = {0};
	int fd, plain = memfd_create("x", MFD_ALLOW_SEALING), small;
	struct stsenv_page *p = stsenv_page_create(FP, NULL, &fd, &err);

	CHECK(p != NULL);
	stsenv_page_destroy(p);
	CHECK(stsenv_page_map(fd, FP + 1, &err) == NULL); /* another configuration */
	CHECK(strstr(err.msg, "configuration") != NULL);
	close(fd);
	/* Not sealed: someone could write it. */
	CHECK(ftruncate(plain, (off_t)stsenv_page_size()) == 0);
	CHECK(stsenv_page_map(plain, FP, &err) == NULL);
	close(plain);
	/* Sealed, but not a page's size. */
	small = memfd_create("y", MFD_ALLOW_SEALING);
	CHECK(ftruncate(small, 4096) == 0);
	CHECK(fcntl(small, F_ADD_SEALS, STSENV_PAGE_SEALS) == 0);
	CHECK(stsenv_page_map(small, FP, &err) == NULL);
	close(small);
	CHECK(stsenv_page_map(-1, FP, &err) == NULL);
}

/* A page with a valid credential in it, as bytes to corrupt. */
static struct stsenv_page_shared *good_bytes(void)
{
	static _Alignas(64) char buf[sizeof(struct stsenv_page_shared)];
	struct stsenv_err err = {0};
	int fd;
	struct stsenv_page *p = stsenv_page_create(FP, NULL, &fd, &err);
	struct stsenv_cred c = cred(9, later(60));
	void *m;

	put(p, &c, 9, STSENV_PAGE_OK, 0, "e");
	m = mmap(NULL, sizeof(buf), PROT_READ, MAP_SHARED, fd, 0);
	memcpy(buf, m, sizeof(buf));
	munmap(m, sizeof(buf));
	stsenv_page_destroy(p);
	close(fd);
	return (struct stsenv_page_shared *)buf;
}

static void test_every_length_and_offset_checked(void)
{
	struct stsenv_page_status st;
	struct stsenv_page_shared *sh = good_bytes(), saved = *sh;

	CHECK(stsenv_page_check_bytes(sh, sizeof(*sh), FP, &st));
	/* The lengths of the report that crashed every exec of a tree:
	 * their 32-bit sum wrapped to 2. */
	sh->len[STSENV_PF_ID] = 0x7fffffff;
	sh->len[STSENV_PF_SECRET] = 0x80000000;
	CHECK(!stsenv_page_check_bytes(sh, sizeof(*sh), FP, &st));
	*sh = saved;
	sh->off[STSENV_PF_TOKEN] = STSENV_PAGE_DATA - 2;
	CHECK(!stsenv_page_check_bytes(sh, sizeof(*sh), FP, &st));
	*sh = saved;
	sh->off[STSENV_PF_ERROR] = 0xffffffff;
	CHECK(!stsenv_page_check_bytes(sh, sizeof(*sh), FP, &st));
	*sh = saved;
	sh->len[STSENV_PF_ERROR] = STSENV_PAGE_ERROR_MAX;
	CHECK(!stsenv_page_check_bytes(sh, sizeof(*sh), FP, &st));
	*sh = saved;
	sh->len[STSENV_PF_TOKEN] = STSENV_MAX_TOKEN + 1;
	CHECK(!stsenv_page_check_bytes(sh, sizeof(*sh), FP, &st));
	*sh = saved;
	sh->state = 77;
	CHECK(!stsenv_page_check_bytes(sh, sizeof(*sh), FP, &st));
	*sh = saved;
	sh->flags = 0x80;
	CHECK(!stsenv_page_check_bytes(sh, sizeof(*sh), FP, &st));
	*sh = saved;
	sh->len[STSENV_PF_ID] = 0;
	CHECK(!stsenv_page_check_bytes(sh, sizeof(*sh), FP, &st));
	*sh = saved;
	sh->data[sh->off[STSENV_PF_SECRET] + 1] = '\0'; /* an embedded NUL */
	CHECK(!stsenv_page_check_bytes(sh, sizeof(*sh), FP, &st));
	*sh = saved;
	sh->seq = 3; /* a writer that died in the middle */
	CHECK(!stsenv_page_check_bytes(sh, sizeof(*sh), FP, &st));
	*sh = saved;
	sh->magic ^= 1;
	CHECK(!stsenv_page_check_bytes(sh, sizeof(*sh), FP, &st));
	*sh = saved;
	CHECK(!stsenv_page_check_bytes(sh, sizeof(*sh) - 1, FP, &st));
	CHECK(!stsenv_page_check_bytes(sh, sizeof(*sh), FP ^ 1, &st));
}

struct race {
	struct stsenv_page *p;
	const struct stsenv_page_view *v;
	atomic_bool stop;
	atomic_long reads, torn;
};

static void *writer(void *arg)
{
	struct race *r = arg;

	for (int g = 2; !atomic_load(&r->stop); g++) {
		struct stsenv_cred c = cred(g, later(60));
		put(r->p, &c, (uint64_t)g, STSENV_PAGE_OK, 0, "");
	}
	return NULL;
}

static void *reader(void *arg)
{
	struct race *r = arg;

	/* Each read copies into the arena, which is never freed: bounded. */
	for (int n = 0; n < 20000 && !atomic_load(&r->stop); n++) {
		bool corrupt;
		const struct stsenv_snap *s =
			stsenv_page_snapshot(r->v, UINT64_MAX, 0, 0, NULL, NULL, &corrupt);
		if (s &&
		    (strcmp(s->id + 7, s->secret + 7) != 0 || strcmp(s->id + 7, s->token + 6) != 0))
			atomic_fetch_add(&r->torn, 1);
		atomic_fetch_add(&r->reads, 1);
	}
	return NULL;
}

/* A reader racing the writer never sees a mix of two credentials. */
static void test_no_torn_read_under_writes(void)
{
	struct race r = {0};
	struct stsenv_err err = {0};
	struct stsenv_cred c = cred(1, later(60));
	pthread_t w, rd[3];
	int fd;

	r.p = stsenv_page_create(FP, NULL, &fd, &err);
	r.v = stsenv_page_map(fd, FP, &err);
	put(r.p, &c, 1, STSENV_PAGE_OK, 0, "");
	pthread_create(&w, NULL, writer, &r);
	for (int i = 0; i < 3; i++)
		pthread_create(&rd[i], NULL, reader, &r);
	usleep(300000);
	atomic_store(&r.stop, true);
	pthread_join(w, NULL);
	for (int i = 0; i < 3; i++)
		pthread_join(rd[i], NULL);
	CHECK(r.reads > 100 && r.torn == 0);
	stsenv_page_destroy(r.p);
	close(fd);
}

static void *late_write(void *arg)
{
	struct stsenv_page *p = arg;
	struct stsenv_cred c = cred(5, later(60));

	usleep(50000);
	put(p, &c, 5, STSENV_PAGE_OK, 0, "");
	return NULL;
}

static void test_wait_for_a_write(void)
{
	struct stsenv_err err = {0};
	int fd;
	struct stsenv_page *p = stsenv_page_create(FP, NULL, &fd, &err);
	const struct stsenv_page_view *v = stsenv_page_map(fd, FP, &err);
	uint32_t seen = stsenv_page_version(v);
	int64_t t0 = stsenv_mono_ms();
	pthread_t t;

	CHECK(!stsenv_page_wait(v, seen, 100));
	CHECK(stsenv_mono_ms() - t0 >= 90);
	pthread_create(&t, NULL, late_write, p);
	CHECK(stsenv_page_wait(v, seen, 5000));
	pthread_join(t, NULL);
	stsenv_page_destroy(p);
	close(fd);
}

int main(void)
{
	RUN(test_write_then_read);
	RUN(test_newest_wins_not_latest_expiry);
	RUN(test_no_other_writer);
	RUN(test_map_refuses);
	RUN(test_every_length_and_offset_checked);
	RUN(test_no_torn_read_under_writes);
	RUN(test_wait_for_a_write);
	UNIT_EXIT();
}
