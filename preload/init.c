/* The preload's one init gate: libc's functions, the settings, the served
 * names, the credential handed down, and the tree. */
#include "rt.h"

#include "../core/clock.h"
#include "../core/delivery.h"
#include "../core/jvmcp.h"
#include "../core/log.h"
#include "../core/select.h"
#include "../core/strbuf.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#ifndef STSENV_BINDIR
#define STSENV_BINDIR "/usr/local/bin"
#endif

extern char **environ;

struct stsenv_real stsenv_real;
struct stsenv_rt stsenv_rt;

/* Defined (and exported) by the stsenv command: in the launcher and the
 * keeper the preload, if the user's LD_PRELOAD loads it, stays inert. */
extern const char stsenv_launcher_tag[] __attribute__((weak));

static atomic_bool resolved;

void stsenv_rt_resolve(void)
{
	if (atomic_load_explicit(&resolved, memory_order_acquire))
		return;
		/* A successful RTLD_NEXT lookup makes no allocation. */
#define RESOLVE(ret, name, params) *(void **)&stsenv_real.name = dlsym(RTLD_NEXT, #name);
#define SKIP(name)
	STSENV_SYMBOLS(RESOLVE, SKIP)
	atomic_store_explicit(&resolved, true, memory_order_release);
}

static char *real_get(const char *name)
{
	return stsenv_real.getenv ? stsenv_real.getenv(name) : NULL;
}

static char *arena_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = stsenv_arena_alloc(n);

	return d ? memcpy(d, s, n) : NULL;
}

/* path, absolute: a relative LD_PRELOAD (a newcomer's first try) names
 * the library from the directory the program started in, and the keeper
 * runs in /. */
static const char *absolute(const char *path)
{
	char cwd[4096], *out;
	size_t n;

	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return arena_strdup(path);
	n = strlen(cwd);
	if (!(out = stsenv_arena_alloc(n + strlen(path) + 2)))
		return NULL;
	memcpy(out, cwd, n);
	out[n] = '/';
	memcpy(out + n + 1, path, strlen(path) + 1);
	return out;
}

/* What a keeper of our own would need: settings and the description, packed
 * once here, straight into the arena (which keeps it out of core files),
 * and where the keeper is. */
#define KEEPER_NAME "stsenv-keeper"

static void prepare_tree(const struct stsenv_desc *d)
{
	struct stsenv_rt *rt = &stsenv_rt;
	struct stsenv_keep_request rq = {.margin_ms = rt->cfg.margin_ms,
					 .timeout_ms = rt->cfg.timeout_ms,
					 .log_level = rt->cfg.log_level,
					 .desc = *d};
	size_t n = stsenv_keep_request_packed_len(&rq);
	Dl_info info;
	char *buf;

	stsenv_copy_trunc(rq.log_file, sizeof(rq.log_file), rt->cfg.log_file,
			  strlen(rt->cfg.log_file));
	memset(rq.name, '0', STSENV_TREE_NAME);
	if (n <= STSENV_KEEP_REQUEST_MAX && (buf = stsenv_arena_alloc(n)) &&
	    stsenv_keep_request_pack(&rq, buf, n) == n) {
		rt->request = buf;
		rt->request_len = n;
	}
	rt->label = arena_strdup(d->label);
	/* The keeper is `stsenv keep`: stsenv-keeper beside this library, or
	 * the installed stsenv. */
	if (dladdr((void *)stsenv_rt_init_once, &info) && info.dli_fname &&
	    (rt->library = absolute(info.dli_fname))) {
		const char *slash = strrchr(rt->library, '/');
		size_t dir = slash ? (size_t)(slash - rt->library) + 1 : 0;
		char *k = stsenv_arena_alloc(dir + sizeof(KEEPER_NAME));

		if (k) {
			memcpy(k, rt->library, dir);
			memcpy(k + dir, KEEPER_NAME, sizeof(KEEPER_NAME));
			rt->keeper_path[0] = k;
		}
	}
	rt->keeper_path[1] = STSENV_BINDIR "/stsenv";
}

static void adopt(void)
{
	struct stsenv_rt *rt = &stsenv_rt;
	const struct stsenv_snap *s;

	if (!rt->policy.adoptable)
		return;
	s = stsenv_snap_new(&rt->policy.handed, rt->fingerprint, 0, stsenv_real_ms(),
			    stsenv_mono_coarse_ms(), NULL);
	if (stsenv_snap_valid(s, stsenv_mono_coarse_ms()))
		atomic_store(&rt->cur, s);
}

static void join_tree(void)
{
	struct stsenv_rt *rt = &stsenv_rt;
	const char *t = real_get(STSENV_TREE_VAR);
	struct stsenv_tree parsed;
	/* Without a marker (nothing was fetched yet, or the source fails) the
	 * tree is still ours to ask: its page says whose it is, and no page
	 * with another source's fingerprint or owner is ever used. */
	bool ours = (!rt->policy.have_marker || rt->policy.marker.fingerprint == rt->fingerprint) &&
		    stsenv_tree_parse(t, &parsed);

	if (!rt->has_src || !rt->request)
		return;
	/* The first process of the tree could not start a keeper and has
	 * said why: quiet and fast here, names unset, and our children told
	 * the same. */
	if (t && strcmp(t, STSENV_TREE_FAILED) == 0) {
		rt->no_keeper = true;
		atomic_store(&rt->keeper_failed, true);
		return;
	}
	if (ours)
		atomic_store(&rt->tree, arena_strdup(t));
	/* Nothing to do while what was handed down is fresh: a process that
	 * got one without a tree (eval "$(stsenv env)") starts its own when it
	 * falls due, if it lives that long.  Otherwise it follows the tree's
	 * page, or starts a tree now, and waits for a credential as long as a
	 * fetch may take plus the time a new keeper takes to start. */
	stsenv_rt_current(rt->cfg.timeout_ms + 1000);
}

/* What is wrong with the settings and the names, said once per tree: by
 * the process that starts it, not by the descendants that inherit the same
 * environment.  They hold its marker or its tree; without a source, the
 * tree STSENV_TREE_NONE (execenv.c), unless they have a source of their
 * own after all (the script exported one): theirs is a new story. */
static void say_where_tree_starts(const char *names_problem, const struct stsenv_err *src_err)
{
	struct stsenv_rt *rt = &stsenv_rt;
	const char *tree = real_get(STSENV_TREE_VAR);

	if (rt->policy.have_marker ||
	    (tree && (strcmp(tree, STSENV_TREE_NONE) != 0 || !rt->has_src)))
		return;
	stsenv_config_report(&rt->cfg);
	if (names_problem)
		stsenv_log(STSENV_LOG_WARN, "%s", names_problem);
	if (!rt->active)
		return;
	stsenv_policy_warn_static(&rt->policy, real_get, "");
	if (!rt->has_src)
		stsenv_log(rt->cfg.source_bad ? STSENV_LOG_ERROR : STSENV_LOG_WARN,
			   "%s; credential names read as unset" STSENV_SEE_STATUS, src_err->msg);
}

static void setup(void)
{
	struct stsenv_rt *rt = &stsenv_rt;
	struct stsenv_err names_err = {0}, err = {0};
	struct stsenv_desc d;
	bool names_bad;

	stsenv_config_load(&rt->cfg, real_get);
	names_bad = stsenv_names_init(&rt->names, rt->cfg.vars, &names_err) != 0;
	stsenv_desc_use_arena(stsenv_arena_alloc);
	/* The source as configured before any delivery of ours changed the
	 * URI for an SDK (core/delivery.h): the tree's configuration. */
	stsenv_delivery_use(real_get);
	rt->has_src = stsenv_select(&rt->cfg, stsenv_delivery_getenv, NULL, &d, &err) == 0;
	rt->fingerprint = rt->has_src ? stsenv_desc_fingerprint(&d) : 0;
	stsenv_policy_classify(&rt->policy, &rt->names, real_get, rt->cfg.override,
			       rt->fingerprint);
	rt->active = rt->policy.any;
	say_where_tree_starts(names_bad ? names_err.msg : NULL, &err);
	if (!rt->active)
		return;
	if (rt->has_src) {
		prepare_tree(&d);
		if (d.kind == STSENV_SRC_URI && d.v[STSENV_D_URI])
			rt->source_uri = arena_strdup(d.v[STSENV_D_URI]);
		stsenv_desc_clear(&d);
	}
	adopt();
	join_tree();
}

static pthread_once_t once = PTHREAD_ONCE_INIT;

/* After a real fork the child's memory is its own; a vfork child never
 * runs this, and keeps its parent's pid here. */
static void forked_child(void)
{
	atomic_store(&stsenv_rt.pid, getpid());
}

/* Whether clock_gettime is libc's: another preload (libfaketime) may
 * answer it, and then every clock of ours must be read through it, or a
 * deadline computed at load is compared later with another clock. */
static bool clock_is_libcs(void)
{
	void *f = dlsym(RTLD_DEFAULT, "clock_gettime");
	Dl_info info;

	return f && dladdr(f, &info) && info.dli_fname && strstr(info.dli_fname, "libc.so");
}

static void init(void)
{
	/* Most execs never read a clock after this: spare them the vDSO's
	 * page faults. */
	stsenv_clock_by_syscall(clock_is_libcs());
	stsenv_rt_resolve();
	atomic_store(&stsenv_rt.pid, getpid());
	pthread_atfork(NULL, NULL, forked_child);
	/* In the launcher or the keeper, and in set-uid programs, do nothing. */
	if (!&stsenv_launcher_tag && !getauxval(AT_SECURE))
		setup();
	stsenv_clock_by_syscall(false);
	atomic_store_explicit(&stsenv_rt.ready, true, memory_order_release);
}

void stsenv_rt_init_once(void)
{
	pthread_once(&once, init);
}

/* Our entries in environ: the program changing one makes it its own. */
static void remember_entries(void)
{
	struct stsenv_rt *rt = &stsenv_rt;

	for (char **e = environ; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		const struct stsenv_name *n;
		char name[STSENV_MAX_NAME];

		if (!eq || (size_t)(eq - *e) >= sizeof(name))
			continue;
		memcpy(name, *e, (size_t)(eq - *e));
		name[eq - *e] = '\0';
		if ((n = stsenv_names_find(&rt->names, name)) && !rt->entry[n->index]) {
			rt->entry[n->index] = *e;
			rt->placed[n->index] = arena_strdup(*e);
		}
	}
	atomic_store_explicit(&rt->entries_known, true, memory_order_release);
}

static const char *environ_lookup(void *ctx, const char *name)
{
	(void)ctx;
	return real_get(name);
}

/* A JVM copies its environment at its first System.getenv: one whose
 * class path has Alibaba Cloud's credentials SDK gets the tree's endpoint
 * in its environ before that, not the triple its chain would stop at. */
static void deliver_to_jvm(int argc, char **argv)
{
	struct stsenv_rt *rt = &stsenv_rt;
	struct stsenv_edit edits[STSENV_DELIVERY_EDITS];
	const char *base = argc > 0 && argv && argv[0] ? strrchr(argv[0], '/') : NULL;
	char rec[STSENV_DELIVERY_RECORD_MAX + 2 * 4096];
	int mode = rt->cfg.deliver, n;

	base = base ? base + 1 : argc > 0 && argv ? argv[0] : NULL;
	if (!base || strcmp(base, "java") != 0 || mode == STSENV_DELIVER_ENV ||
	    !dlopen("libjli.so", RTLD_LAZY | RTLD_NOLOAD))
		return;
	if (mode == STSENV_DELIVER_AUTO)
		mode = stsenv_jvm_has_sdk_chain(argv, real_get("CLASSPATH")) ? STSENV_DELIVER_URI
									     : STSENV_DELIVER_ENV;
	if (mode == STSENV_DELIVER_ENV)
		return;
	n = stsenv_delivery_edits(mode, environ_lookup, NULL, atomic_load(&rt->cur),
				  stsenv_rt_endpoint(), rt->source_uri, edits, rec, sizeof(rec));
	for (int i = 0; i < n; i++) {
		if (edits[i].value)
			stsenv_real.setenv(edits[i].name, edits[i].value, 1);
		else
			stsenv_real.unsetenv(edits[i].name);
	}
}

/* At load: CPython, Perl and Java copy the environment when they start, so
 * the credential must be in environ before main().  Only here, never later
 * and never from another thread: glibc's getenv is not safe against a
 * concurrent setenv.  libc's setenv, not bash's, which bash exports. */
__attribute__((constructor)) static void at_load(int argc, char **argv)
{
	struct stsenv_rt *rt = &stsenv_rt;
	const struct stsenv_snap *s;
	const char *tree, *marker;

	stsenv_rt_init();
	if (!rt->active || !stsenv_real.setenv || !stsenv_real.unsetenv)
		return;
	s = atomic_load(&rt->cur);
	tree = atomic_load(&rt->tree);
	marker = real_get(STSENV_HANDOFF_VAR);
	/* A handed-down environment that is current stays as it is. */
	if (!(s && marker && strcmp(marker, s->marker) == 0 &&
	      (!tree ||
	       (real_get(STSENV_TREE_VAR) && strcmp(real_get(STSENV_TREE_VAR), tree) == 0))))
		stsenv_policy_place(&rt->policy, &rt->names, s, tree, real_get, stsenv_real.setenv,
				    stsenv_real.unsetenv);
	if (rt->has_src && s)
		deliver_to_jvm(argc, argv);
	stsenv_rt_python_bootstrap(argc, argv);
	remember_entries();
}

/* libc's functions before anything else of ours, and before other
 * libraries' constructors can reach our wrappers. */
__attribute__((constructor(101))) static void resolve_early(void)
{
	stsenv_rt_resolve();
}
