/* libFuzzer harness: the STSENV_VARS parser, stsenv_names_init(), and the
 * lookups stsenv_names_find() makes on every getenv.
 *
 * Input: the value of STSENV_VARS (up to its first NUL); empty means unset.
 *
 * Invariants, against a small independent model of the documented syntax
 * ("NAME=id|secret|token|expiration" separated by commas, empty entries
 * ignored; NAME a C identifier under 64 bytes, not built in, not twice; at
 * most 32): the same entries accepted, in order, with their fields, the
 * same number refused; err set (a terminated, non-empty message) exactly
 * when something was refused; every built-in and every accepted name
 * found, pointing at its entry; every other name looked up (the input's
 * own name parts, a few fixed ones) not found. */
#include "fuzz.h"

#include "../core/names.h"

#define VARS_MAX_LOOKUPS 64

struct vars_model {
	int n, refused;
	char names[STSENV_MAX_EXTRA][STSENV_MAX_NAME];
	int field[STSENV_MAX_EXTRA];
};

static bool vars_ident(const char *s, size_t len)
{
	if (len == 0 || len > STSENV_MAX_NAME - 1 || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(s[i] == '_' || (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z')))
			return false;
	return true;
}

static const struct stsenv_name *vars_builtin(const char *name)
{
	for (const struct stsenv_name *b = stsenv_builtin_names; b->name; b++)
		if (strcmp(b->name, name) == 0)
			return b;
	return NULL;
}

/* Index in the model of an accepted name, or -1. */
static int vars_model_find(const struct vars_model *m, const char *name)
{
	for (int i = 0; i < m->n; i++)
		if (strcmp(m->names[i], name) == 0)
			return i;
	return -1;
}

static void vars_model_run(struct vars_model *m, const char *vars)
{
	static const char *const fields[] = {"id", "secret", "token", "expiration"};

	memset(m, 0, sizeof(*m));
	for (const char *p = vars; p && *p;) {
		const char *end = p + strcspn(p, ","), *eq = memchr(p, '=', (size_t)(end - p));
		char name[STSENV_MAX_NAME];
		int field = -1;

		if (end == p) {
			p++; /* an empty entry */
			continue;
		}
		for (int f = 0; eq && f < 4; f++)
			if ((size_t)(end - eq - 1) == strlen(fields[f]) &&
			    memcmp(eq + 1, fields[f], strlen(fields[f])) == 0)
				field = f;
		if (!eq || field < 0 || !vars_ident(p, (size_t)(eq - p))) {
			m->refused++;
		} else if (m->n == STSENV_MAX_EXTRA) {
			m->refused++;
		} else {
			memcpy(name, p, (size_t)(eq - p));
			name[eq - p] = '\0';
			if (vars_builtin(name) || vars_model_find(m, name) >= 0) {
				m->refused++;
			} else {
				memcpy(m->names[m->n], name, sizeof(name));
				m->field[m->n++] = field;
			}
		}
		p = *end ? end + 1 : end;
	}
}

/* Looks name up both ways; they must agree. */
static void vars_lookup(const struct stsenv_names *n, const struct vars_model *m, const char *name)
{
	const struct stsenv_name *got = stsenv_names_find(n, name), *b = vars_builtin(name);
	int i = vars_model_find(m, name);

	if (b)
		FUZZ_CHECK(got == b);
	else if (i >= 0)
		FUZZ_CHECK(got == &n->extra[i]);
	else
		FUZZ_CHECK(got == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const others[] = {"",
					     "PATH",
					     "HOME",
					     "A",
					     "ALIBABA_CLOUD_ACCESS_KEY",
					     "ALIBABA_CLOUD_ACCESS_KEY_ID_",
					     "OSS_SESSION_TOKEN",
					     "STSENV_EXPIRATION",
					     "stsenv_expiration",
					     "STSENV_VARS",
					     "MY_AK",
					     "\xff"};
	static struct stsenv_names n;
	static struct vars_model m;
	struct stsenv_err err, untouched;
	char *vars = NULL, name[128];
	int refused, lookups = 0;

	if (size > 0) {
		vars = malloc(size + 1);
		if (!vars)
			return 0;
		memcpy(vars, data, size);
		vars[size] = '\0';
	}
	/* All of it, retry_ms too: a field left unset would make memcmp judge garbage. */
	memset(&untouched, 'Z', sizeof(untouched));
	err = untouched;
	refused = stsenv_names_init(&n, vars, &err);
	vars_model_run(&m, vars);

	FUZZ_CHECK(refused == m.refused);
	FUZZ_CHECK(n.nextra == m.n);
	for (int i = 0; i < n.nextra && i < m.n; i++) {
		FUZZ_CHECK(n.extra[i].name == n.store[i]);
		FUZZ_CHECK(strcmp(n.extra[i].name, m.names[i]) == 0);
		FUZZ_CHECK(n.extra[i].field == m.field[i]);
		FUZZ_CHECK(n.extra[i].family == STSENV_FAM_USER);
	}
	if (refused == 0) {
		FUZZ_CHECK(memcmp(&err, &untouched, sizeof(err)) == 0);
	} else {
		FUZZ_CHECK(fuzz_err_terminated(&err));
		FUZZ_CHECK(err.msg[0] != '\0' && err.msg[0] != 'Z');
	}

	for (const struct stsenv_name *b = stsenv_builtin_names; b->name; b++)
		vars_lookup(&n, &m, b->name);
	for (int i = 0; i < m.n; i++)
		vars_lookup(&n, &m, m.names[i]);
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		vars_lookup(&n, &m, others[i]);
	/* The name part of every entry, accepted or not. */
	for (const char *p = vars; p && *p && lookups < VARS_MAX_LOOKUPS; lookups++) {
		size_t len = strcspn(p, ","), nlen = strcspn(p, "=,");

		snprintf(name, sizeof(name), "%.*s", (int)(nlen < 127 ? nlen : 127), p);
		vars_lookup(&n, &m, name);
		p += len;
		if (*p == ',')
			p++;
	}
	free(vars);
	return 0;
}
