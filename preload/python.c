/* Reaching CPython: at load, in a CPython process, put the bootstrap
 * (python/sitecustomize.py, beside this library) first on PYTHONPATH, as
 * ddtrace-run and opentelemetry-instrument do, so that os.environ reads the
 * served names live.  The bootstrap puts PYTHONPATH back as it was.
 *
 * Not under -E or -I (PYTHONPATH ignored: we would leave it changed, for the
 * program to see) nor -S (no site, so no sitecustomize), and not in a
 * program that is not CPython: libpython's Py_Initialize is the sign. */
#include "rt.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void Py_Initialize(void) __attribute__((weak));

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

void stsenv_rt_python_bootstrap(int argc, char **argv)
{
	const char *lib = stsenv_rt.library, *old;
	char *dir, *val, *slash;
	size_t n;

	if (!Py_Initialize || !lib || !argv || options_forbid(argc, argv))
		return;
	n = strlen(lib);
	if (!(dir = malloc(n + 32)))
		return;
	memcpy(dir, lib, n + 1);
	slash = strrchr(dir, '/');
	strcpy(slash ? slash + 1 : dir, "python");
	n = strlen(dir);
	strcpy(dir + n, "/sitecustomize.py");
	if (access(dir, R_OK) == 0) {
		dir[n] = '\0';
		old = stsenv_real.getenv("PYTHONPATH");
		if ((val = malloc(n + (old ? strlen(old) : 0) + 2))) {
			strcpy(val, dir);
			if (old && *old) {
				strcat(val, ":");
				strcat(val, old);
			}
			stsenv_real.setenv("PYTHONPATH", val, 1);
			free(val);
		}
	}
	free(dir);
}
