#include "desc.h"

#include "credjson.h"
#include "marker.h"
#include "strbuf.h"

#include <stdlib.h>
#include <string.h>

static void *(*arena)(size_t);

void stsenv_desc_use_arena(void *(*alloc)(size_t))
{
	arena = alloc;
}

bool stsenv_desc_set(struct stsenv_desc *d, int i, const char *s)
{
	size_t n;

	if (d->v[i]) {
		explicit_bzero(d->v[i], strlen(d->v[i]));
		if (!arena)
			free(d->v[i]);
		d->v[i] = NULL;
	}
	if (!s || !*s)
		return true;
	n = strlen(s) + 1;
	d->v[i] = arena ? arena(n) : malloc(n);
	return d->v[i] && memcpy(d->v[i], s, n);
}

void stsenv_desc_clear(struct stsenv_desc *d)
{
	for (int i = 0; i < STSENV_DESC_SLOTS; i++)
		stsenv_desc_set(d, i, NULL);
	memset(d, 0, sizeof(*d));
}

int stsenv_desc_add_role(struct stsenv_desc *d, const struct stsenv_role_params *r,
			 struct stsenv_err *err)
{
	const char *v[STSENV_R_SLOTS] = {r->arn,	 r->session,  r->policy,
					 r->external_id, r->endpoint, r->region};
	static const char arrow[] = " -> AssumeRole ";
	int n = d->nroles;
	size_t len = strlen(d->label);
	bool ok = true, sane = r->arn && strlen(r->arn) <= 256;

	/* It reaches labels and logs: printable ASCII only. */
	for (const char *c = r->arn; sane && *c; c++)
		sane = *c > ' ' && *c < 0x7f;
	if (!sane || strncmp(r->arn, "acs:ram::", 9) != 0 || !strstr(r->arn, ":role/")) {
		char ex[64];
		stsenv_json_excerpt(r->arn ? r->arn : "", r->arn ? strlen(r->arn) : 0, ex,
				    sizeof(ex));
		stsenv_err_set(err, "role ARN \"%s\" is not acs:ram::<account>:role/<name>", ex);
		return -1;
	}
	if (n == STSENV_MAX_ROLES) {
		stsenv_err_set(err, "more than %d roles in a chain", STSENV_MAX_ROLES);
		return -1;
	}
	for (int j = 0; j < STSENV_R_SLOTS; j++)
		ok = ok && stsenv_desc_set(d, STSENV_ROLE_SLOT(n, j), v[j]);
	if (!ok) {
		stsenv_err_set(err, "out of memory");
		return -1;
	}
	d->role_duration_s[n] = r->duration_s;
	d->role_vpc[n] = r->vpc;
	d->nroles = n + 1;
	/* Cut, never lost: the label is for people, the slots are the truth. */
	if (len + sizeof(arrow) < sizeof(d->label)) {
		memcpy(d->label + len, arrow, sizeof(arrow));
		len += sizeof(arrow) - 1;
		stsenv_copy_trunc(d->label + len, sizeof(d->label) - len, r->arn, strlen(r->arn));
	}
	return 0;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h = (h ^ v) * 0xFF51AFD7ED558CCDULL;
	return h ^ (h >> 31);
}

uint64_t stsenv_desc_fingerprint(const struct stsenv_desc *d)
{
	uint64_t h = mix(mix(mix(0x5354534556465031ULL, (uint64_t)d->kind), d->flag),
			 (uint64_t)d->duration_s);

	h = mix(h, (uint64_t)d->nroles);
	for (int r = 0; r < d->nroles; r++)
		h = mix(mix(h, (uint64_t)d->role_duration_s[r]), d->role_vpc[r]);

	for (int i = 0; i < STSENV_DESC_SLOTS; i++)
		h = mix(mix(h, (uint64_t)i), d->v[i] ? stsenv_value_hash(d->v[i]) : 0);
	return h ? h : 1;
}

/* Packed: "SD2", the numbers (kind, flag, duration, nroles, then each
 * layer's duration and VPC flag), label, then each slot; every field a
 * 4-byte length and its bytes. */
#define NUMS (4 + 2 * STSENV_MAX_ROLES)

static void nums_of(const struct stsenv_desc *d, int32_t nums[NUMS])
{
	nums[0] = d->kind;
	nums[1] = d->flag;
	nums[2] = d->duration_s;
	nums[3] = d->nroles;
	for (int r = 0; r < STSENV_MAX_ROLES; r++) {
		nums[4 + 2 * r] = d->role_duration_s[r];
		nums[5 + 2 * r] = d->role_vpc[r];
	}
}

static bool nums_to(struct stsenv_desc *d, const int32_t nums[NUMS])
{
	d->kind = nums[0];
	d->flag = nums[1] != 0;
	d->duration_s = nums[2];
	d->nroles = nums[3];
	for (int r = 0; r < STSENV_MAX_ROLES; r++) {
		d->role_duration_s[r] = nums[4 + 2 * r];
		d->role_vpc[r] = nums[5 + 2 * r] != 0;
	}
	return d->nroles >= 0 && d->nroles <= STSENV_MAX_ROLES;
}
static bool put(char **p, char *end, const void *s, uint32_t n)
{
	if ((size_t)(end - *p) < 4 + (size_t)n)
		return false;
	memcpy(*p, &n, 4);
	memcpy(*p + 4, s, n);
	*p += 4 + n;
	return true;
}

static bool put_str(char **p, char *end, const char *s)
{
	return put(p, end, s ? s : "", s ? (uint32_t)strlen(s) : 0);
}

size_t stsenv_desc_packed_len(const struct stsenv_desc *d)
{
	size_t n = 3 + 4 + NUMS * sizeof(int32_t) + 4 + strlen(d->label);

	for (int i = 0; i < STSENV_DESC_SLOTS; i++)
		n += 4 + (d->v[i] ? strlen(d->v[i]) : 0);
	return n;
}

size_t stsenv_desc_pack(const struct stsenv_desc *d, char *buf, size_t len)
{
	char *p = buf, *end = buf + len;
	int32_t nums[NUMS];
	bool ok = len >= 3;

	nums_of(d, nums);
	if (ok) {
		memcpy(p, "SD2", 3);
		p += 3;
	}
	ok = ok && put(&p, end, nums, sizeof(nums)) && put_str(&p, end, d->label);
	for (int i = 0; ok && i < STSENV_DESC_SLOTS; i++)
		ok = put_str(&p, end, d->v[i]);
	return ok ? (size_t)(p - buf) : 0;
}

static const char *get(const char **p, const char *end, uint32_t *n)
{
	const char *s;

	if ((size_t)(end - *p) < 4)
		return NULL;
	memcpy(n, *p, 4);
	if ((size_t)(end - *p) - 4 < *n)
		return NULL;
	s = *p + 4;
	*p += 4 + *n;
	return s;
}

bool stsenv_desc_unpack(struct stsenv_desc *d, const char *buf, size_t len)
{
	const char *p = buf + 3, *end = buf + len, *s;
	int32_t nums[NUMS];
	uint32_t n;

	memset(d, 0, sizeof(*d));
	if (len < 3 || memcmp(buf, "SD2", 3) != 0 || !(s = get(&p, end, &n)) || n != sizeof(nums))
		return false;
	memcpy(nums, s, sizeof(nums));
	if (!nums_to(d, nums) || !(s = get(&p, end, &n)) || n >= sizeof(d->label))
		goto bad;
	memcpy(d->label, s, n);
	d->label[n] = '\0';
	for (int i = 0; i < STSENV_DESC_SLOTS; i++) {
		char *v;
		if (!(s = get(&p, end, &n)) || memchr(s, '\0', n))
			goto bad;
		if (!n)
			continue;
		if (!(v = malloc((size_t)n + 1)))
			goto bad;
		memcpy(v, s, n);
		v[n] = '\0';
		d->v[i] = v;
	}
	if (p == end && d->kind > STSENV_SRC_NONE && d->kind <= STSENV_SRC_PROCESS)
		return true;
bad:
	stsenv_desc_clear(d);
	return false;
}
