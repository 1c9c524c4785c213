/* Reaching CPython: its bootstrap (python/sitecustomize.py, beside this
 * library) first on the PYTHONPATH that Python reads as it initializes, as
 * ddtrace-run and opentelemetry-instrument do, so that os.environ reads the
 * served names live.
 *
 * Python reads PYTHONPATH with getenv, once, while it initializes; it
 * builds os.environ from environ, and children get environ.  So environ is
 * never changed: while Python is not yet initialized, getenv("PYTHONPATH")
 * answers the bootstrap's directory before the value (if there is one),
 * and from then on the value itself.  PYTHONPATH stays as it was, byte for
 * byte, for the process and for everything it starts (gdb copies its
 * environment for its inferior before its Python runs), and no setenv runs
 * after load, where another thread may be reading environ.
 *
 * Where: in a program that has libpython at load (CPython, gdb), and in one
 * that loads it later with dlopen (uwsgi's and collectd's plugins,
 * mod_wsgi, plpython3): after the dlopen that brought it (Py_Initialize
 * resolvable through its handle, and Python not yet initialized), from
 * whichever thread.  Not under -E or -I (PYTHONPATH ignored) nor -S (no
 * site, so no sitecustomize) on CPython's own command line. */
#include "rt.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

enum { UNDECIDED, ARMING, ARMED, DONE };

static _Atomic int state;
/* Written before ARMED is published, then only read. */
static const char *dir;		    /* the bootstrap's directory, in the arena */
static int (*is_initialized)(void); /* libpython's Py_IsInitialized */
static void *handle;		    /* libpython, when it is not global */
static bool p_served;		    /* 'P' was in the first-byte map already */

#define P_WORD ('P' >> 6)
#define P_BIT  (1ULL << ('P' & 63))

/* Whether Python's options (before -c, -m, or the script) ignore the
 * environment or skip site. */
static bool options_forbid(int argc, char **argv)
{
	for (int i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0)
			return false;
		if (a[1] == '-') { /* long options; one takes a value */
			i += strcmp(a, "--check-hash-based-pycs") == 0;
			continue;
		}
		for (const char *c = a + 1; *c; c++) {
			if (*c == 'E' || *c == 'I' || *c == 'S')
				return true;
			if (*c == 'c' || *c == 'm')
				return false;
			if (*c == 'W' || *c == 'X') { /* the value is the rest, or the next word */
				i += c[1] == '\0';
				break;
			}
		}
	}
	return false;
}

/* "<this library's directory>/python", if the bootstrap is there. */
static const char *bootstrap_dir(void)
{
	const char *lib = stsenv_rt.library, *slash = lib ? strrchr(lib, '/') : NULL;
	size_t n = slash ? (size_t)(slash - lib) + 1 : 0;
	char *d;

	if (!lib || !(d = stsenv_arena_alloc(n + sizeof("python/sitecustomize.py"))))
		return NULL;
	memcpy(d, lib, n);
	strcpy(d + n, "python/sitecustomize.py");
	if (access(d, R_OK) != 0)
		return NULL;
	d[n + strlen("python")] = '\0';
	return d;
}

/* From now until Python is initialized, getenv("PYTHONPATH") shows the
 * bootstrap.  The 'P' bit sends such names to stsenv_rt_serve (rt.h). */
static bool arm(int (*initialized)(void), void *h)
{
	int expect = UNDECIDED;

	if (!atomic_compare_exchange_strong(&state, &expect, ARMING))
		return false;
	dir = bootstrap_dir();
	is_initialized = initialized;
	if (!dir || (initialized && initialized())) {
		atomic_store(&state, DONE);
		return false;
	}
	handle = h;
	p_served =
		__atomic_fetch_or(&stsenv_rt.names.first[P_WORD], P_BIT, __ATOMIC_RELAXED) & P_BIT;
	atomic_store_explicit(&state, ARMED, memory_order_release);
	return true;
}

static void disarm(void)
{
	int expect = ARMED;

	if (atomic_compare_exchange_strong(&state, &expect, DONE) && !p_served)
		__atomic_fetch_and(&stsenv_rt.names.first[P_WORD], ~P_BIT, __ATOMIC_RELAXED);
}

void stsenv_rt_python_bootstrap(int argc, char **argv)
{
	int (*initialized)(void);
	int expect = UNDECIDED;

	if (!dlsym(RTLD_DEFAULT, "Py_Initialize")) {
		dlerror(); /* no error of ours for the program to find */
		return;	   /* a dlopen may bring libpython later */
	}
	if (!argv || options_forbid(argc, argv)) {
		atomic_compare_exchange_strong(&state, &expect, DONE);
		return;
	}
	*(void **)&initialized = dlsym(RTLD_DEFAULT, "Py_IsInitialized");
	arm(initialized, NULL);
}

/* ---- libpython arriving with a dlopen ----------------------------------- */

static int any_rpath(struct dl_phdr_info *info, size_t size, void *found)
{
	(void)size;
	if (!info->dlpi_name || !info->dlpi_name[0]) /* the program: searched either way */
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_DYNAMIC)
			continue;
		for (const ElfW(Dyn) *d = (const void *)(info->dlpi_addr + ph->p_vaddr);
		     d->d_tag != DT_NULL; d++)
			if (d->d_tag == DT_RPATH)
				return *(bool *)found = true;
	}
	return 0;
}

/* Whether glibc would search for a bare name otherwise if we called
 * dlopen than if the caller does: along the caller's RUNPATH or RPATH, and
 * the RPATH of the objects that loaded it. */
static bool searched_its_own_way(const void *caller)
{
	struct link_map *lm = NULL;
	bool found = false;
	Dl_info info;

	if (!dladdr1(caller, &info, (void **)&lm, RTLD_DL_LINKMAP) || !lm || !lm->l_ld)
		return true;
	for (const ElfW(Dyn) *d = lm->l_ld; d->d_tag != DT_NULL; d++)
		if (d->d_tag == DT_RPATH || d->d_tag == DT_RUNPATH)
			return true;
	dl_iterate_phdr(any_rpath, &found);
	return found;
}

/* Whether the dlopen of file by caller is to be watched for libpython: not
 * once Python is decided, nor where our own call would find another file
 * than the caller's (a bare name searched its own way, $ORIGIN expanded
 * relative to the caller); those go to libc as the caller's (interpose.c). */
bool stsenv_rt_python_watch(const char *file, const void *caller)
{
	if (atomic_load_explicit(&state, memory_order_relaxed) != UNDECIDED ||
	    !atomic_load_explicit(&stsenv_rt.ready, memory_order_acquire) || !stsenv_rt.active ||
	    !stsenv_rt.library)
		return false;
	if (file && strchr(file, '$'))
		return false;
	return !file || strchr(file, '/') || !searched_its_own_way(caller);
}

/* After a dlopen that returned h: did it bring libpython in?  A reference
 * of our own keeps it, and is how pyext.c finds Python's API when the
 * embedder loaded it RTLD_LOCAL. */
void stsenv_rt_python_loaded(void *h)
{
	void *init = dlsym(h, "Py_Initialize"), *own = NULL;
	int (*initialized)(void);
	Dl_info info;

	if (!init) {
		dlerror();
		return;
	}
	*(void **)&initialized = dlsym(h, "Py_IsInitialized");
	if (dladdr(init, &info) && info.dli_fname)
		own = stsenv_real.dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
	if (!arm(initialized, own ? own : h) && own)
		dlclose(own);
}

/* ---- PYTHONPATH as Python reads it -------------------------------------- */

struct composed {
	bool had;	  /* the variable was set */
	const char *orig; /* its value then ("" if unset) */
	char path[];	  /* dir, then ":" and the value if it is not empty */
};
static _Atomic(const struct composed *) last;
static atomic_int builds;

/* The bootstrap's directory before value; the last one made is kept, and
 * a program that changes PYTHONPATH before Python starts gets a few more
 * (from the arena: what getenv returned stays readable). */
static char *compose(char *value)
{
	const struct composed *c = atomic_load_explicit(&last, memory_order_acquire);
	size_t nd = strlen(dir), nv = value ? strlen(value) : 0;
	struct composed *m;
	int saved = errno;

	if (c && c->had == (value != NULL) && strcmp(c->orig, value ? value : "") == 0)
		return (char *)c->path;
	if (atomic_fetch_add(&builds, 1) >= 16 ||
	    !(m = stsenv_arena_alloc(sizeof(*m) + nd + 2 * nv + 3))) {
		errno = saved;
		return value;
	}
	m->had = value != NULL;
	memcpy(m->path, dir, nd);
	m->path[nd] = ':';
	memcpy(m->path + nd + 1, value ? value : "", nv + 1);
	if (!nv) /* an empty PYTHONPATH adds nothing, "dir:" would add "" */
		m->path[nd] = '\0';
	m->orig = m->path + nd + nv + 2;
	memcpy((char *)m->orig, value ? value : "", nv + 1);
	atomic_store_explicit(&last, m, memory_order_release);
	return m->path;
}

/* getenv of a name that is not served and starts with 'P' (serve.c):
 * value is libc's answer. */
char *stsenv_rt_python_getenv(const char *name, char *value)
{
	if (atomic_load_explicit(&state, memory_order_acquire) != ARMED ||
	    strcmp(name, "PYTHONPATH") != 0)
		return value;
	if (is_initialized && is_initialized()) {
		disarm();
		return value;
	}
	return compose(value);
}

/* The bootstrap has loaded the module: Python is past its PYTHONPATH. */
void stsenv_rt_python_started(void)
{
	disarm();
}

/* A function of Python's C API, looked up now (the module is imported
 * into a running Python), or NULL. */
void *stsenv_rt_python_sym(const char *name)
{
	void *p = dlsym(RTLD_DEFAULT, name);

	if (!p && handle)
		p = dlsym(handle, name);
	if (!p)
		dlerror();
	return p;
}
