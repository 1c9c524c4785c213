#include "delivery.h"

#include "marker.h"

#include <string.h>
#include <strings.h>

const char *const stsenv_delivery_triple[3] = {
	"ALIBABA_CLOUD_ACCESS_KEY_ID",
	"ALIBABA_CLOUD_ACCESS_KEY_SECRET",
	"ALIBABA_CLOUD_SECURITY_TOKEN",
};

static const char *const mode_names[] = {"auto", "env", "uri", "both"};

int stsenv_deliver_parse(const char *s)
{
	for (int i = 0; s && i < 4; i++)
		if (strcasecmp(s, mode_names[i]) == 0)
			return i;
	return -1;
}

const char *stsenv_deliver_name(int mode)
{
	return mode >= 0 && mode < 4 ? mode_names[mode] : "auto";
}

static bool same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

void stsenv_delivery_read(struct stsenv_delivery *d, stsenv_lookup_fn get, void *ctx)
{
	const char *r = get(ctx, STSENV_DELIVERY_VAR), *uri = get(ctx, STSENV_URI_VAR), *p;
	uint64_t h = 0;
	int i;

	memset(d, 0, sizeof(*d));
	if (!r || strncmp(r, "v1:", 3) != 0 || !uri)
		return;
	for (i = 0, p = r + 3; i < 16; i++, p++) {
		int v = hexval(*p);
		if (v < 0)
			return;
		h = h << 4 | (uint64_t)v;
	}
	if (*p++ != ':' || h != stsenv_value_hash(uri))
		return;
	for (; *p && *p != ':'; p++) {
		d->ours |= *p == 'o';
		d->withheld |= *p == 'w';
		d->ecs_added |= *p == 'e';
	}
	if (*p != ':')
		return;
	if (p[1] == '=') {
		d->orig = p + 2;
		d->orig_len = strlen(d->orig);
	}
	d->present = true;
}

static const char *field_of(const struct stsenv_snap *s, int i)
{
	return i == 0 ? s->id : i == 1 ? s->secret : s->token;
}

struct edits {
	struct stsenv_edit *out;
	int n;
};

static void edit(struct edits *e, const char *name, const char *value)
{
	if (e->n < STSENV_DELIVERY_EDITS)
		e->out[e->n++] = (struct stsenv_edit){name, value};
}

/* Back to variables: the URI as it was, no metadata switch of ours, the
 * triple where it was withheld (and not set again since). */
static void undo(struct edits *e, const struct stsenv_delivery *d, stsenv_lookup_fn get, void *ctx,
		 const struct stsenv_snap *cur)
{
	if (d->ours)
		edit(e, STSENV_URI_VAR, d->orig);
	if (d->ecs_added && same(get(ctx, STSENV_ECS_OFF_VAR), "true"))
		edit(e, STSENV_ECS_OFF_VAR, NULL);
	for (int i = 0; d->withheld && cur && i < 3; i++)
		if (!get(ctx, stsenv_delivery_triple[i]) && field_of(cur, i))
			edit(e, stsenv_delivery_triple[i], field_of(cur, i));
	edit(e, STSENV_DELIVERY_VAR, NULL);
}

static char *put_hex(char *p, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 15; i >= 0; i--)
		*p++ = hex[(v >> (4 * i)) & 15];
	return p;
}

/* The record: "v1:HASH:FLAGS:[=ORIG]"; false if buf is too small. */
static bool record(char *buf, size_t len, const char *uri, bool ours, bool withheld, bool ecs,
		   const char *orig)
{
	size_t olen = orig ? strlen(orig) : 0;
	char *p = buf;

	if (len < STSENV_DELIVERY_RECORD_MAX + olen + 2)
		return false;
	memcpy(p, "v1:", 3);
	p = put_hex(p + 3, stsenv_value_hash(uri));
	*p++ = ':';
	if (ours)
		*p++ = 'o';
	if (withheld)
		*p++ = 'w';
	if (ecs)
		*p++ = 'e';
	if (!ours && !withheld && !ecs)
		*p++ = '-';
	*p++ = ':';
	if (orig) {
		*p++ = '=';
		memcpy(p, orig, olen);
		p += olen;
	}
	*p = '\0';
	return true;
}

int stsenv_delivery_edits(int mode, stsenv_lookup_fn get, void *ctx, const struct stsenv_snap *cur,
			  const char *endpoint, const char *source_uri, struct stsenv_edit *out,
			  char *buf, size_t len)
{
	struct edits e = {out, 0};
	struct stsenv_delivery d;
	const char *uri = get(ctx, STSENV_URI_VAR), *orig;
	bool mine = false, user_uri, ecs, withheld;

	stsenv_delivery_read(&d, get, ctx);
	for (int i = 0; cur && i < 3; i++)
		mine |= same(get(ctx, stsenv_delivery_triple[i]), field_of(cur, i));
	if (!mine && !d.present)
		return 0; /* nothing of ours here: the caller's environment */
	if (mode != STSENV_DELIVER_URI && mode != STSENV_DELIVER_BOTH)
		mode = STSENV_DELIVER_ENV;
	if (mode == STSENV_DELIVER_ENV || !endpoint || !cur) {
		if (d.present)
			undo(&e, &d, get, ctx, cur);
		return e.n;
	}
	/* A URI the program or the user set is theirs: it stays, and our
	 * triple must not shadow it either. */
	user_uri = uri && !(d.present && d.ours) && !same(uri, endpoint) && !same(uri, source_uri);
	withheld = mode == STSENV_DELIVER_URI;
	for (int i = 0; i < 3; i++) {
		const char *name = stsenv_delivery_triple[i], *v = get(ctx, name);
		if (withheld && same(v, field_of(cur, i)))
			edit(&e, name, NULL);
		else if (!withheld && d.withheld && !v && field_of(cur, i))
			edit(&e, name, field_of(cur, i));
	}
	if (user_uri) {
		if (!record(buf, len, uri, false, withheld, false, NULL))
			return 0;
	} else {
		orig = d.present ? d.orig : same(uri, endpoint) ? NULL : uri;
		ecs = d.present && d.ecs_added;
		if (!ecs && !get(ctx, STSENV_ECS_ROLE_VAR) && !get(ctx, STSENV_ECS_OFF_VAR)) {
			edit(&e, STSENV_ECS_OFF_VAR, "true");
			ecs = true;
		}
		if (!same(uri, endpoint))
			edit(&e, STSENV_URI_VAR, endpoint);
		if (!record(buf, len, endpoint, true, withheld, ecs, orig))
			return 0;
	}
	if (!same(get(ctx, STSENV_DELIVERY_VAR), buf))
		edit(&e, STSENV_DELIVERY_VAR, buf);
	return e.n;
}

/* ---- the environment as it was, for selection --------------------------- */

static char *(*inner_get)(const char *);

void stsenv_delivery_use(char *(*inner)(const char *))
{
	inner_get = inner;
}

static const char *via_inner(void *ctx, const char *name)
{
	(void)ctx;
	return inner_get(name);
}

char *stsenv_delivery_getenv(const char *name)
{
	bool uri = strcmp(name, STSENV_URI_VAR) == 0, ecs = strcmp(name, STSENV_ECS_OFF_VAR) == 0;
	struct stsenv_delivery d;

	if (!inner_get)
		return NULL;
	if (uri || ecs) {
		stsenv_delivery_read(&d, via_inner, NULL);
		if (d.present && d.ours && uri)
			return (char *)d.orig;
		if (d.present && d.ecs_added && ecs && same(inner_get(name), "true"))
			return NULL;
	}
	return inner_get(name);
}
