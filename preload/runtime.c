#include "runtime.h"

#include "../core/config.h"
#include "../core/engine.h"
#include "../core/handoff.h"
#include "../core/log.h"
#include "../core/names.h"
#include "../core/page.h"
#include "../core/timeutil.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <time.h>
#include <unistd.h>

typedef char *(*getenv_fn)(const char *);

extern char **environ;

static _Atomic(getenv_fn) real_getenv, real_secure_getenv;

/* Set once init() has filled names; before that only the first-byte test
 * of the built-in names is used, so no reader sees a half-built table. */
static atomic_bool ready;
static struct stsenv_names names;
static struct stsenv_engine *engine;
static struct stsenv_page *page; /* the tree's shared page, if started by stsenv */
static bool static_family[STSENV_FAM_COUNT];
static bool secure_mode;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* Per thread: the snapshot this thread's current "round" of reads comes
 * from, and which (family, field) pairs it has read in that round.  Reading
 * a pair again starts a new round.  So id, secret and token read one after
 * another come from one credential even if a rotation lands in between. */
static __thread const struct stsenv_snap *pin_snap __attribute__((tls_model("initial-exec")));
static __thread uint32_t pin_mask __attribute__((tls_model("initial-exec")));

/* Used only if dlsym cannot find libc's getenv, which should not happen. */
static char *scan_environ(const char *name)
{
	size_t n = strlen(name);

	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

static char *scan_environ_secure(const char *name)
{
	return getauxval(AT_SECURE) ? NULL : scan_environ(name);
}

static getenv_fn resolve(_Atomic(getenv_fn) *slot, const char *sym, getenv_fn fallback)
{
	getenv_fn f = atomic_load_explicit(slot, memory_order_relaxed);

	if (!f) {
		/* A successful RTLD_NEXT lookup does not allocate. */
		f = (getenv_fn)dlsym(RTLD_NEXT, sym);
		if (!f)
			f = fallback;
		atomic_store_explicit(slot, f, memory_order_relaxed);
	}
	return f;
}

static __attribute__((noinline, cold)) char *pass_slow(int secure, const char *name)
{
	if (secure)
		return resolve(&real_secure_getenv, "secure_getenv", scan_environ_secure)(name);
	return resolve(&real_getenv, "getenv", scan_environ)(name);
}

/* Inlined into stsenv_getenv's pass-through path, which stays a leaf: no
 * register saved, no call, one indirect jump into libc. */
static inline __attribute__((always_inline)) char *pass(const char *name, int secure)
{
	getenv_fn f = atomic_load_explicit(secure ? &real_secure_getenv : &real_getenv,
					   memory_order_relaxed);

	return __builtin_expect(f != NULL, 1) ? f(name) : pass_slow(secure, name);
}

static void on_prepare(void)
{
	/* bash, CPython and their kind fork for every child but never read a
	 * name themselves: a fork is our cue to refresh when one is due. */
	stsenv_engine_nudge(engine);
	stsenv_engine_fork_prepare(engine);
}

static void on_parent(void)
{
	stsenv_engine_fork_parent(engine);
}

static void on_child(void)
{
	stsenv_engine_fork_child(engine);
}

static const char *family_value(enum stsenv_family fam, int field, getenv_fn get)
{
	for (const struct stsenv_name *n = stsenv_builtin_names; n->name; n++) {
		const char *v;
		if (n->family != fam || n->field != field)
			continue;
		v = get(n->name);
		if (v && *v)
			return v;
	}
	return NULL;
}

/* Decides, from the environment the process started with, which families
 * carry a user's static key, and adopts a credential a parent handed down. */
static void scan_start_environment(const struct stsenv_config *cfg, getenv_fn get)
{
	const char *marker = get(STSENV_HANDOFF_VAR);
	bool adopted = false;

	for (int fam = 0; fam < STSENV_FAM_NONE; fam++) {
		const char *id = NULL, *name = NULL;
		int64_t exp;
		char rid[32];

		for (const struct stsenv_name *n = stsenv_builtin_names; n->name && !id; n++)
			if (n->family == fam && n->field == STSENV_F_ID)
				name = n->name, id = get(name);
		for (int i = 0; i < names.nextra && !id; i++)
			if (names.extra[i].field == STSENV_F_ID)
				name = names.extra[i].name, id = get(name);
		if (!id || !*id)
			continue;
		if (stsenv_handoff_matches(marker, id, &exp)) {
			const char *secret = family_value(fam, STSENV_F_SECRET, get);
			if (!adopted && engine && secret && fam != STSENV_FAM_USER) {
				struct stsenv_cred c = {
					(char *)id, (char *)secret,
					(char *)family_value(fam, STSENV_F_TOKEN, get), exp};
				stsenv_engine_adopt(engine, &c);
				adopted = true;
			}
			continue;
		}
		stsenv_redact_id(id, rid, sizeof(rid));
		if (cfg->override) {
			stsenv_log(STSENV_LOG_WARN,
				   "%s is set to a static key (%s); serving STS credentials anyway "
				   "(STSENV_OVERRIDE=1)",
				   name, rid);
			continue;
		}
		static_family[fam] = true;
		stsenv_log(STSENV_LOG_WARN,
			   "%s is set to a static key (%s); leaving those names alone "
			   "(STSENV_OVERRIDE=1 serves STS credentials instead)",
			   name, rid);
	}
}

static struct stsenv_peer page_peer;

static void open_page(getenv_fn get)
{
	const char *v = get(STSENV_PAGE_VAR);
	char *end;
	long fd;

	if (!v || !*v)
		return;
	fd = strtol(v, &end, 10);
	if (*end || fd < 0 || fd > 1 << 20 || !(page = stsenv_page_open((int)fd)))
		stsenv_log(STSENV_LOG_DEBUG, "%s=%.12s is not a credential page; fetching alone",
			   STSENV_PAGE_VAR, v);
	else
		stsenv_page_peer(page, &page_peer);
}

static void init(void)
{
	getenv_fn get = resolve(&real_getenv, "getenv", scan_environ);
	struct stsenv_config cfg;
	struct stsenv_err err = {""};
	struct stsenv_source *src;
	const void *random = (const void *)getauxval(AT_RANDOM); /* 16 bytes, unaligned */
	uint64_t seed = (uint64_t)(uintptr_t)&err;

	stsenv_config_load(&cfg, get);
	if (stsenv_names_init(&names, cfg.vars, &err))
		stsenv_log(STSENV_LOG_WARN, "%s", err.msg);
	secure_mode = getauxval(AT_SECURE) != 0;
	open_page(get);
	src = stsenv_select_source(&cfg, get, NULL, &err);
	if (random)
		memcpy(&seed, random, sizeof(seed));
	if (src) {
		engine = stsenv_engine_new(&(struct stsenv_engine_opts){
			.source = src,
			.clock = &stsenv_system_clock,
			.margin_ms = cfg.margin_ms,
			.timeout_ms = cfg.timeout_ms,
			/* The kernel's 16 random bytes for this exec: no clock
			 * or getpid call (each a page fault at start-up). */
			.seed = seed,
			.background = true,
			.peer = page ? &page_peer : NULL,
		});
		if (engine)
			pthread_atfork(on_prepare, on_parent, on_child);
		else
			stsenv_source_destroy(src);
	} else {
		stsenv_log(STSENV_LOG_WARN, "%s; credential names read as unset", err.msg);
	}
	scan_start_environment(&cfg, get);
	atomic_store_explicit(&ready, true, memory_order_release);
}

static inline __attribute__((always_inline)) bool maybe_served(const char *name)
{
	unsigned char c = (unsigned char)name[0];

	if (atomic_load_explicit(&ready, memory_order_acquire))
		return names.first[c >> 6] & (1ULL << (c & 63));
	/* Before init: the first bytes of the built-in names. */
	return c == 'A' || c == 'O' || c == 'S';
}

static const struct stsenv_snap *read_pinned(const struct stsenv_name *n)
{
	uint32_t bit = 1u << (n->family * STSENV_F_COUNT + n->field);
	const struct stsenv_snap *s = pin_snap;

	if (s && !(pin_mask & bit) && stsenv_system_clock.mono_ms(NULL) < s->exp_mono_ms) {
		pin_mask |= bit;
		return s;
	}
	s = stsenv_engine_get(engine);
	pin_snap = s;
	pin_mask = bit;
	return s;
}

/* Out of line, so that the pass-through path below stays a leaf. */
static __attribute__((noinline)) char *maybe_serve(const char *name, int secure)
{
	const struct stsenv_name *n;
	const struct stsenv_snap *s;

	if (!atomic_load_explicit(&ready, memory_order_acquire))
		pthread_once(&init_once, init);
	/* The first-byte test is behind us (maybe_served): the full lookup. */
	n = stsenv_names_find_slow(&names, name);
	if (!n || static_family[n->family] || (secure && secure_mode))
		return pass(name, secure);
	if (!engine)
		return NULL;
	s = read_pinned(n);
	return s ? (char *)stsenv_snap_field(s, (enum stsenv_field)n->field) : NULL;
}

char *stsenv_getenv(const char *name, int secure)
{
	if (__builtin_expect(!name || !maybe_served(name), 1))
		return pass(name, secure);
	return maybe_serve(name, secure);
}

/* ---- handing the credential on: environ at load, envp at exec --------- */

static void vals_from(struct stsenv_vals *v, const char *id, const char *secret, const char *token,
		      int64_t exp_ms)
{
	v->f[STSENV_F_ID] = id;
	v->f[STSENV_F_SECRET] = secret;
	v->f[STSENV_F_TOKEN] = token;
	v->f[STSENV_F_EXPIRATION] = NULL;
	if (exp_ms != STSENV_NO_EXPIRY) {
		stsenv_format_iso8601(exp_ms, v->exp, sizeof(v->exp));
		v->f[STSENV_F_EXPIRATION] = v->exp;
	}
	stsenv_handoff_format(id, exp_ms, v->marker, sizeof(v->marker));
}

/* Calls fn for every name this process serves (value NULL: not set). */
static void each_served(const struct stsenv_vals *v, void (*fn)(const char *, const char *, void *),
			void *arg)
{
	for (const struct stsenv_name *n = stsenv_builtin_names; n->name; n++)
		if (!static_family[n->family])
			fn(n->name, v->f[n->field], arg);
	for (int i = 0; i < names.nextra; i++)
		if (!static_family[STSENV_FAM_USER])
			fn(names.extra[i].name, v->f[names.extra[i].field], arg);
	fn(STSENV_HANDOFF_VAR, v->marker, arg);
}

/* True for "NAME=value" entries that stsenv replaces in a child's env. */
static bool is_ours(const char *entry)
{
	const char *eq = strchr(entry, '=');
	char name[STSENV_MAX_NAME];
	const struct stsenv_name *n;
	size_t len = eq ? (size_t)(eq - entry) : 0;

	if (!len || len >= sizeof(name))
		return false;
	memcpy(name, entry, len);
	name[len] = '\0';
	if (strcmp(name, STSENV_HANDOFF_VAR) == 0)
		return true;
	n = stsenv_names_find(&names, name);
	return n && !static_family[n->family];
}

struct put_ctx {
	int (*set)(const char *, const char *, int);
	int (*unset)(const char *);
};

static void put_environ(const char *name, const char *value, void *arg)
{
	struct put_ctx *c = arg;
	const char *now = resolve(&real_getenv, "getenv", scan_environ)(name);

	/* A handed-down environment usually holds the current values already:
	 * leave those alone rather than allocate a copy of each. */
	if (value && (!now || strcmp(now, value) != 0))
		c->set(name, value, 1);
	else if (!value && now)
		c->unset(name);
}

static void count_expected(const char *name, const char *value, void *arg)
{
	(void)name;
	*(int *)arg += value != NULL;
}

/* True if environ already holds exactly what each_served would place, in
 * one pass over it: the usual case of a handed-down credential, checked
 * without a getenv per name (each one a scan of the whole environment). */
static bool environ_current(const struct stsenv_vals *v)
{
	int want_count = 0, have = 0;

	each_served(v, count_expected, &want_count);
	for (char **e = environ; e && *e; e++) {
		const char *eq, *want;
		char name[STSENV_MAX_NAME];
		const struct stsenv_name *n;
		size_t len;

		if (!maybe_served(*e) && **e != STSENV_HANDOFF_VAR[0])
			continue;
		eq = strchr(*e, '=');
		len = eq ? (size_t)(eq - *e) : 0;
		if (!len || len >= sizeof(name))
			continue;
		memcpy(name, *e, len);
		name[len] = '\0';
		if (strcmp(name, STSENV_HANDOFF_VAR) == 0)
			want = v->marker;
		else if ((n = stsenv_names_find(&names, name)) && !static_family[n->family])
			want = v->f[n->field];
		else
			continue;
		if (!want || strcmp(eq + 1, want) != 0)
			return false;
		have++;
	}
	return have == want_count;
}

/* At load: CPython, Perl and Java copy the environment when they start, so
 * the credential must be in environ before main().  Only here, never from
 * the refresher thread: glibc's getenv is not safe against a concurrent
 * setenv.  libc's setenv, not bash's, which bash exports as its own. */
__attribute__((constructor)) static void at_load(void)
{
	const struct stsenv_snap *s;
	struct put_ctx c;
	struct stsenv_vals v;

	pthread_once(&init_once, init);
	if (!engine)
		return;
	/* peek, then a bounded fetch only if nothing valid was handed down:
	 * get() could start the refresher thread, which a constructor must
	 * not (it breaks unshare(CLONE_NEWUSER) and has hung tcmalloc). */
	s = stsenv_engine_peek(engine);
	if (!s)
		s = stsenv_engine_get(engine);
	if (!s)
		return;
	vals_from(&v, s->id, s->secret, s->token, s->exp_real_ms);
	if (environ_current(&v))
		return;
	*(void **)&c.set = dlsym(RTLD_NEXT, "setenv");
	*(void **)&c.unset = dlsym(RTLD_NEXT, "unsetenv");
	if (c.set && c.unset)
		each_served(&v, put_environ, &c);
}

struct size_ctx {
	size_t slots, bytes;
};

static void count_entry(const char *name, const char *value, void *arg)
{
	struct size_ctx *c = arg;

	if (value) {
		c->slots++;
		c->bytes += strlen(name) + strlen(value) + 2;
	}
}

struct fill_ctx {
	char **out;
	size_t k;
	char *cursor;
};

static void fill_entry(const char *name, const char *value, void *arg)
{
	struct fill_ctx *c = arg;
	size_t ln = strlen(name), lv;

	if (!value)
		return;
	lv = strlen(value);
	c->out[c->k++] = c->cursor;
	memcpy(c->cursor, name, ln);
	c->cursor[ln] = '=';
	memcpy(c->cursor + ln + 1, value, lv + 1);
	c->cursor += ln + lv + 2;
}

bool stsenv_env_plan(char *const envp[], struct stsenv_page_cred *pc, struct stsenv_envplan *p)
{
	const struct stsenv_snap *s;
	struct size_ctx sz = {0, 0};
	int64_t own;
	bool relevant = false;

	if (!envp || !atomic_load_explicit(&ready, memory_order_acquire) || !engine)
		return false;
	s = stsenv_engine_peek(engine);
	own = s ? s->exp_real_ms : 0;
	/* The newest valid credential: ours, or one another process of the
	 * tree fetched and left in the page. */
	if (page && stsenv_page_exp(page) > own && stsenv_page_read(page, pc) &&
	    pc->exp_ms > stsenv_system_clock.real_ms(NULL))
		vals_from(&p->v, pc->id, pc->secret, pc->token,
			  pc->exp_ms == INT64_MAX - 1 ? STSENV_NO_EXPIRY : pc->exp_ms);
	else if (s)
		vals_from(&p->v, s->id, s->secret, s->token, s->exp_real_ms);
	else
		return false;
	/* Only environments that carry the credential get a fresh one; one the
	 * program deliberately built without it stays without it. */
	for (char *const *e = envp; *e; e++) {
		sz.slots++;
		relevant = relevant || is_ours(*e);
	}
	if (!relevant)
		return false;
	p->entries = sz.slots;
	each_served(&p->v, count_entry, &sz);
	p->slots = sz.slots + 1;
	p->bytes = sz.bytes;
	return p->bytes <= 64 * 1024; /* it lives on the caller's stack */
}

void stsenv_env_fill(const struct stsenv_envplan *p, char *const envp[], char **out, char *buf)
{
	struct fill_ctx c = {out, 0, buf};

	/* Never more than were counted: a thread of the host adding to environ
	 * in between must not make us write past the array on the stack. */
	for (size_t i = 0; i < p->entries && envp[i]; i++)
		if (!is_ours(envp[i]))
			out[c.k++] = envp[i];
	each_served(&p->v, fill_entry, &c);
	out[c.k] = NULL;
}

void stsenv_before_spawn(void)
{
	if (atomic_load_explicit(&ready, memory_order_acquire) && engine)
		stsenv_engine_nudge(engine);
}
