/* A program that embeds CPython by loading libpython with dlopen once it
 * runs, as uwsgi's python3 plugin, mod_wsgi, plpython3 and collectd do,
 * and runs a script in it.  It links nothing of Python's: every function
 * comes from dlsym on the handle.  With "thread", libpython is loaded and
 * run from a second thread while the first keeps reading its environment
 * (as a server's other threads would); with "local", RTLD_LOCAL.
 * After Python is done, prints "c PYTHONPATH=..." as C's getenv sees it.
 * usage: pyembed LIBPYTHON global|local main|thread SCRIPT [ARG...] */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char **args;
static int nargs, rc = 1, local;
static atomic_int done;

/* sys.argv, then the script's text. */
static char *program(void)
{
	size_t cap = 1 << 20, at;
	char *buf = malloc(cap);
	FILE *f = fopen(args[0], "r");

	if (!buf || !f)
		return NULL;
	at = (size_t)snprintf(buf, cap, "import sys; sys.argv = ['%s'", args[0]);
	for (int i = 1; i <= nargs; i++)
		at += (size_t)snprintf(buf + at, cap - at, ", '%s'", args[i]);
	at += (size_t)snprintf(buf + at, cap - at, "]\n");
	at += fread(buf + at, 1, cap - at - 1, f);
	buf[at] = '\0';
	fclose(f);
	return buf;
}

static void *embed(void *arg)
{
	void *h = dlopen(arg, RTLD_NOW | (local ? RTLD_LOCAL : RTLD_GLOBAL));
	void (*init)(void);
	int (*run)(const char *), (*fini)(void);
	char *code = program();

	if (!h || !code) {
		fprintf(stderr, "pyembed: %s\n", h ? "cannot read the script" : dlerror());
		atomic_store(&done, 1);
		return NULL;
	}
	*(void **)&init = dlsym(h, "Py_Initialize");
	*(void **)&run = dlsym(h, "PyRun_SimpleString");
	*(void **)&fini = dlsym(h, "Py_FinalizeEx");
	init();
	rc = run(code) == 0 && fini() == 0 ? 0 : 1;
	free(code);
	atomic_store(&done, 1);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *pp;
	pthread_t t;
	long reads = 0;

	if (argc < 5)
		return 2;
	local = strcmp(argv[2], "local") == 0;
	args = argv + 4;
	nargs = argc - 5;
	if (strcmp(argv[3], "thread") != 0) {
		embed(argv[1]);
	} else if (pthread_create(&t, NULL, embed, argv[1]) == 0) {
		while (!atomic_load(&done))
			reads += getenv("HOME") != NULL &&
				 getenv("ALIBABA_CLOUD_ACCESS_KEY_ID") != NULL;
		pthread_join(t, NULL);
		fprintf(stderr, "pyembed: %ld reads in the first thread\n", reads);
	}
	pp = getenv("PYTHONPATH");
	printf("c PYTHONPATH=%s\n", pp ? pp : "(unset)");
	return rc;
}
