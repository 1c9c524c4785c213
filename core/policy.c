#include "policy.h"

#include "cred.h"
#include "delivery.h"
#include "log.h"

#include <string.h>

#define BIT(i) (1ULL << (i))

static bool handed_empty(const struct stsenv_marker *m, int field)
{
	return (field == STSENV_F_TOKEN && !m->hash[2]) ||
	       (field == STSENV_F_EXPIRATION && m->exp_ms == STSENV_NO_EXPIRY);
}

/* Families whose id name holds a key stsenv did not hand down. */
static void find_static(struct stsenv_policy *p, const struct stsenv_names *n, stsenv_getenv_fn get,
			bool override)
{
	for (int i = 0; i < stsenv_names_count(n); i++) {
		const struct stsenv_name *nm = stsenv_names_at(n, i);
		const char *v;

		if (nm->field != STSENV_F_ID || p->static_name[nm->family])
			continue;
		v = get(nm->name);
		if (!v || !*v ||
		    (p->have_marker && stsenv_marker_vouches(&p->marker, nm->field, v)))
			continue;
		p->static_name[nm->family] = nm->name;
		p->static_fam[nm->family] = !override;
	}
}

void stsenv_policy_warn_static(const struct stsenv_policy *p, stsenv_getenv_fn get,
			       const char *then)
{
	for (int fam = 0; fam < STSENV_FAM_COUNT; fam++) {
		const char *name = p->static_name[fam];
		char rid[32];

		if (!name)
			continue;
		stsenv_redact_id(get(name), rid, sizeof(rid));
		stsenv_log(STSENV_LOG_WARN, "%s is set to a static key (%s); %s%s", name, rid,
			   p->static_fam[fam]
				   ? "leaving those names alone (STSENV_OVERRIDE=1 "
				     "serves STS credentials instead)"
				   : "serving STS credentials anyway (STSENV_OVERRIDE=1)",
			   p->static_fam[fam] ? then : "");
	}
}

/* The first name of family fam and field f whose value the marker vouches for. */
static const char *vouched(const struct stsenv_policy *p, const struct stsenv_names *n,
			   stsenv_getenv_fn get, int fam, int field)
{
	for (int i = 0; i < stsenv_names_count(n); i++) {
		const struct stsenv_name *nm = stsenv_names_at(n, i);
		const char *v;

		if (nm->family != fam || nm->field != field || !stsenv_policy_serves(p, nm))
			continue;
		v = get(nm->name);
		if (v && stsenv_marker_vouches(&p->marker, field, v))
			return v;
	}
	return NULL;
}

static void find_handed(struct stsenv_policy *p, const struct stsenv_names *n, stsenv_getenv_fn get)
{
	for (int fam = 0; fam < STSENV_FAM_NONE && !p->adoptable; fam++) {
		const char *id = vouched(p, n, get, fam, STSENV_F_ID);
		const char *secret = vouched(p, n, get, fam, STSENV_F_SECRET);
		const char *token = vouched(p, n, get, fam, STSENV_F_TOKEN);

		if (!id || !secret || (!token && p->marker.hash[2]))
			continue;
		p->handed = (struct stsenv_cred){(char *)id, (char *)secret, (char *)token,
						 p->marker.exp_ms};
		p->adoptable = true;
	}
}

struct getter {
	stsenv_getenv_fn get;
};

static const char *via_getter(void *ctx, const char *name)
{
	return ((struct getter *)ctx)->get(name);
}

/* A name an ancestor's delivery withheld, for a chain that reads the
 * credentials URI (delivery.h): ours, absent only for that program. */
static bool withheld(const struct stsenv_delivery *d, const struct stsenv_name *nm)
{
	for (int i = 0; d->withheld && i < 3; i++)
		if (strcmp(nm->name, stsenv_delivery_triple[i]) == 0)
			return true;
	return false;
}

void stsenv_policy_classify(struct stsenv_policy *p, const struct stsenv_names *n,
			    stsenv_getenv_fn get, bool override, uint64_t own_fp)
{
	struct stsenv_delivery d;
	struct getter g = {get};

	memset(p, 0, sizeof(*p));
	stsenv_delivery_read(&d, via_getter, &g);
	p->have_marker = stsenv_marker_parse(get(STSENV_HANDOFF_VAR), &p->marker);
	find_static(p, n, get, override);
	for (int i = 0; i < stsenv_names_count(n); i++) {
		const struct stsenv_name *nm = stsenv_names_at(n, i);
		const char *v;

		if (nm->field > STSENV_F_EXPIRATION || p->static_fam[nm->family])
			continue;
		if (!p->have_marker) { /* a tree starts here: serve them all */
			p->served |= BIT(nm->index);
			continue;
		}
		v = get(nm->name);
		if (v ? stsenv_marker_vouches(&p->marker, nm->field, v)
		      : handed_empty(&p->marker, nm->field) || withheld(&d, nm))
			p->served |= BIT(nm->index);
	}
	p->any = p->served != 0;
	if (p->any)
		for (int i = 0; i < STSENV_BUILTIN_COUNT; i++)
			if (stsenv_builtin_names[i].field > STSENV_F_EXPIRATION)
				p->served |= BIT(stsenv_builtin_names[i].index);
	if (p->have_marker && p->marker.fingerprint == own_fp)
		find_handed(p, n, get);
}

int stsenv_policy_place(const struct stsenv_policy *p, const struct stsenv_names *n,
			const struct stsenv_snap *s, const char *tree, stsenv_getenv_fn get,
			int (*set)(const char *, const char *, int), int (*unset)(const char *))
{
	int changes = 0;

	for (int i = 0; i < stsenv_names_count(n); i++) {
		const struct stsenv_name *nm = stsenv_names_at(n, i);
		const char *want, *have;

		if (!stsenv_policy_serves(p, nm))
			continue;
		want = stsenv_policy_value(nm, s, tree);
		have = get(nm->name);
		if (want && (!have || strcmp(have, want) != 0))
			changes += set(nm->name, want, 1) == 0;
		else if (!want && have)
			changes += unset(nm->name) == 0;
	}
	return changes;
}

/* ---- at exec ------------------------------------------------------- */

/* The table entry naming "NAME=value", or NULL.  The first-byte test
 * keeps the cost of an unmanaged entry to one load. */
static const struct stsenv_name *managed(const struct stsenv_names *n, const char *e)
{
	unsigned char c = (unsigned char)e[0];
	const char *eq;

	if (!(n->first[c >> 6] & BIT(c & 63)) || !(eq = strchr(e, '=')))
		return NULL;
	for (int i = 0; i < stsenv_names_count(n); i++) {
		const struct stsenv_name *nm = stsenv_names_at(n, i);
		size_t len = (size_t)(eq - e);

		if (nm->name[0] == c && strncmp(nm->name, e, len) == 0 && nm->name[len] == '\0')
			return nm;
	}
	return NULL;
}

/* Whether value v of field f is one stsenv handed down: the envp's marker
 * vouches for it, or it is a value of this process's last credentials. */
static bool ours(const struct stsenv_exec_plan *p, int f, const char *v,
		 const struct stsenv_snap *cur)
{
	int k = 0;

	if (f > STSENV_F_EXPIRATION)
		return false;
	if (p->have_marker && stsenv_marker_vouches(&p->marker, f, v))
		return true;
	for (const struct stsenv_snap *s = cur; s && k < 3; s = s->prev, k++) {
		const char *mine = stsenv_snap_field(s, f);
		if (mine && strcmp(mine, v) == 0)
			return true;
	}
	return false;
}

static const char *value_of(const char *e)
{
	return strchr(e, '=') + 1;
}

bool stsenv_exec_plan(struct stsenv_exec_plan *p, const struct stsenv_names *n, char *const envp[],
		      const struct stsenv_snap *cur, const char *tree, int64_t now_real_ms,
		      size_t max_entries)
{
	const char *mval = NULL, *tval = NULL;
	bool any = false;
	size_t k;

	if (!envp)
		return false;
	memset(p, 0, sizeof(*p));
	for (k = 0; envp[k]; k++) {
		if (k >= max_entries)
			return false; /* libc reports what it reports (E2BIG) */
		if (strncmp(envp[k], STSENV_HANDOFF_VAR "=", sizeof(STSENV_HANDOFF_VAR)) == 0)
			mval = envp[k] + sizeof(STSENV_HANDOFF_VAR);
		else if (strncmp(envp[k], "STSENV_TREE=", 12) == 0)
			tval = envp[k] + 12;
	}
	p->entries = k;
	p->have_marker = mval && stsenv_marker_parse(mval, &p->marker);
	if (cur && mval && strcmp(mval, cur->marker) == 0 &&
	    (!tree || (tval && strcmp(tval, tree) == 0)))
		return false; /* handed down already, and current */
	p->replace = cur != NULL;
	if (!cur && !(p->have_marker && p->marker.exp_ms <= now_real_ms))
		return false; /* nothing better to give, and nothing expired */
	for (k = 0; k < p->entries; k++) {
		const struct stsenv_name *nm = managed(n, envp[k]);
		const char *v;

		if (!nm || !ours(p, nm->field, value_of(envp[k]), cur))
			continue;
		any = true;
		if ((v = cur ? stsenv_policy_value(nm, cur, tree) : NULL))
			p->bytes += strlen(nm->name) + strlen(v) + 2;
	}
	if (!any)
		return false;
	if (cur)
		p->bytes += sizeof(STSENV_HANDOFF_VAR) + strlen(cur->marker) + 1 +
			    (tree ? 12 + strlen(tree) + 1 : 0);
	p->slots = p->entries + 3; /* each entry at most once, marker, tree, NULL */
	return true;
}

static char *put_entry(char **cursor, char *end, const char *name, const char *value)
{
	size_t ln = strlen(name), lv = strlen(value);
	char *e = *cursor;

	if ((size_t)(end - e) < ln + lv + 2)
		return NULL;
	memcpy(e, name, ln);
	e[ln] = '=';
	memcpy(e + ln + 1, value, lv + 1);
	*cursor += ln + lv + 2;
	return e;
}

void stsenv_exec_fill(const struct stsenv_exec_plan *p, const struct stsenv_names *n,
		      char *const envp[], const struct stsenv_snap *cur, const char *tree,
		      char **out, char *strings)
{
	char *cursor = strings, *end = strings + p->bytes, *e;
	size_t k = 0;

	/* Never past what was planned: the host may change environ meanwhile. */
	for (size_t i = 0; i < p->entries && envp[i]; i++) {
		const struct stsenv_name *nm = managed(n, envp[i]);
		const char *v;

		if (nm && nm->field == STSENV_F_MARKER)
			continue;
		if (nm && nm->field == STSENV_F_TREE && cur)
			continue;
		if (!nm || !ours(p, nm->field, value_of(envp[i]), cur)) {
			out[k++] = envp[i];
			continue;
		}
		v = cur ? stsenv_policy_value(nm, cur, tree) : NULL;
		if (!v)
			continue; /* expired, or a field the new credential lacks */
		/* Should a value have turned into one of ours since the plan,
		 * the room may not be there: hand it on as it is. */
		out[k++] = (e = put_entry(&cursor, end, nm->name, v)) ? e : envp[i];
	}
	if (cur && (e = put_entry(&cursor, end, STSENV_HANDOFF_VAR, cur->marker)))
		out[k++] = e;
	if (cur && tree && (e = put_entry(&cursor, end, "STSENV_TREE", tree)))
		out[k++] = e;
	out[k] = NULL;
}
