/* The preload as a Python extension module, `_stsenv`, for the bootstrap
 * (python/sitecustomize.py) that makes os.environ read served names live.
 *
 * The bootstrap imports the library that is already loaded (dlopen with
 * RTLD_NOLOAD: a Python without the preload gets ImportError, never a
 * second copy), so the module costs nothing to load and calls straight
 * into the preload's getenv.  Only the stable ABI of CPython 3.7 and later
 * is used, declared here by hand, and looked up when the module is
 * imported, not bound at load: libpython may come later, with a dlopen
 * (uwsgi's plugin), even RTLD_LOCAL.  In programs that are not Python
 * nothing is looked up and nothing is called. */
#include "rt.h"

#include <stddef.h>
#include <string.h>
#include <sys/types.h>

typedef struct py_object PyObject;
typedef ssize_t Py_ssize_t;
typedef PyObject *(*PyCFunction)(PyObject *, PyObject *);

struct py_method_def {
	const char *ml_name;
	PyCFunction ml_meth;
	int ml_flags;
	const char *ml_doc;
};

struct py_module_def_base {
	Py_ssize_t ob_refcnt;
	void *ob_type;
	PyObject *(*m_init)(void);
	Py_ssize_t m_index;
	PyObject *m_copy;
};

struct py_module_def {
	struct py_module_def_base m_base;
	const char *m_name;
	const char *m_doc;
	Py_ssize_t m_size;
	struct py_method_def *m_methods;
	void *m_slots, *m_traverse, *m_clear, *m_free;
};

#define METH_VARARGS	   0x0001
#define PYTHON_API_VERSION 1013

/* Set by PyInit__stsenv, before any of the module's functions can run. */
static struct {
	PyObject *(*create)(struct py_module_def *, int);
	int (*parse)(PyObject *, const char *, ...);
	PyObject *(*build)(const char *, ...);
} py;

/* getenv(name) -> str or None: the preload's answer, live. */
static PyObject *py_getenv(PyObject *self, PyObject *args)
{
	const char *name;

	(void)self;
	if (!py.parse(args, "s", &name))
		return NULL;
	return py.build("z", stsenv_rt_getenv(name, 0));
}

/* served() -> "NAME,NAME,...": the names this process serves live (those
 * the program has not set or removed itself). */
static PyObject *py_served(PyObject *self, PyObject *args)
{
	char list[STSENV_MAX_NAMES * STSENV_MAX_NAME] = "";
	struct stsenv_rt *rt = &stsenv_rt;
	uint64_t owned = atomic_load(&rt->owned);
	size_t at = 0;

	(void)self, (void)args;
	stsenv_rt_init();
	for (int i = 0; rt->active && i < stsenv_names_count(&rt->names); i++) {
		const struct stsenv_name *nm = stsenv_names_at(&rt->names, i);
		size_t len = strlen(nm->name);

		if (!stsenv_policy_serves(&rt->policy, nm) || ((owned >> nm->index) & 1))
			continue;
		if (at)
			list[at++] = ',';
		memcpy(list + at, nm->name, len + 1);
		at += len;
	}
	return py.build("s", list);
}

static struct py_method_def methods[] = {
	{"getenv", py_getenv, METH_VARARGS, "The value stsenv serves for a name, or None."},
	{"served", py_served, METH_VARARGS, "The names stsenv serves live, comma-separated."},
	{NULL, NULL, 0, NULL},
};

static struct py_module_def module = {
	{1, NULL, NULL, 0, NULL},
	"_stsenv",
	"stsenv's preload, as seen from Python.",
	-1,
	methods,
	NULL,
	NULL,
	NULL,
	NULL,
};

/* Without the API (a Python this library cannot reach) the import fails,
 * and the bootstrap leaves os.environ as it is. */
__attribute__((visibility("default"))) PyObject *PyInit__stsenv(void)
{
	stsenv_rt_python_started();
	*(void **)&py.create = stsenv_rt_python_sym("PyModule_Create2");
	*(void **)&py.parse = stsenv_rt_python_sym("PyArg_ParseTuple");
	*(void **)&py.build = stsenv_rt_python_sym("Py_BuildValue");
	if (!py.create || !py.parse || !py.build)
		return NULL;
	return py.create(&module, PYTHON_API_VERSION);
}
