#include "runtime.h"

#include "../core/config.h"
#include "../core/engine.h"
#include "../core/handoff.h"
#include "../core/log.h"
#include "../core/names.h"

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

static char *pass(const char *name, int secure)
{
	if (secure)
		return resolve(&real_secure_getenv, "secure_getenv", scan_environ_secure)(name);
	return resolve(&real_getenv, "getenv", scan_environ)(name);
}

__attribute__((constructor)) static void resolve_early(void)
{
	/* Only the lookups: no thread, no fetch, no allocation at load. */
	resolve(&real_getenv, "getenv", scan_environ);
	resolve(&real_secure_getenv, "secure_getenv", scan_environ_secure);
}

static void on_prepare(void)
{
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
				struct stsenv_cred c = {(char *)id, (char *)secret,
							(char *)family_value(fam, STSENV_F_TOKEN, get),
							exp};
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

static void init(void)
{
	getenv_fn get = resolve(&real_getenv, "getenv", scan_environ);
	struct stsenv_config cfg;
	struct stsenv_selection sel;
	struct stsenv_err err = {""};
	struct stsenv_source *src;
	struct timespec ts;

	stsenv_config_load(&cfg, get);
	if (stsenv_names_init(&names, cfg.vars, &err))
		stsenv_log(STSENV_LOG_WARN, "%s", err.msg);
	secure_mode = getauxval(AT_SECURE) != 0;
	src = stsenv_select_source(&cfg, get, &sel, &err);
	if (src) {
		clock_gettime(CLOCK_REALTIME, &ts);
		engine = stsenv_engine_new(&(struct stsenv_engine_opts){
			.source = src,
			.clock = &stsenv_system_clock,
			.margin_ms = cfg.margin_ms,
			.timeout_ms = cfg.timeout_ms,
			.seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32),
			.background = true,
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

static bool maybe_served(const char *name)
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

char *stsenv_getenv(const char *name, int secure)
{
	const struct stsenv_name *n;
	const struct stsenv_snap *s;

	if (!name || !maybe_served(name))
		return pass(name, secure);
	pthread_once(&init_once, init);
	n = stsenv_names_find(&names, name);
	if (!n || static_family[n->family] || (secure && secure_mode))
		return pass(name, secure);
	if (!engine)
		return NULL;
	s = read_pinned(n);
	return s ? (char *)stsenv_snap_field(s, (enum stsenv_field)n->field) : NULL;
}
