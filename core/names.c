#include "names.h"

#include "credjson.h"

#include <string.h>

const struct stsenv_name stsenv_builtin_names[] = {
	{"ALIBABA_CLOUD_ACCESS_KEY_ID", STSENV_F_ID, STSENV_FAM_ALIBABA_CLOUD, 0},
	{"ALIBABA_CLOUD_ACCESS_KEY_SECRET", STSENV_F_SECRET, STSENV_FAM_ALIBABA_CLOUD, 1},
	{"ALIBABA_CLOUD_SECURITY_TOKEN", STSENV_F_TOKEN, STSENV_FAM_ALIBABA_CLOUD, 2},
	{"ALIBABACLOUD_ACCESS_KEY_ID", STSENV_F_ID, STSENV_FAM_ALIBABACLOUD, 3},
	{"ALIBABACLOUD_ACCESS_KEY_SECRET", STSENV_F_SECRET, STSENV_FAM_ALIBABACLOUD, 4},
	{"ALIBABACLOUD_SECURITY_TOKEN", STSENV_F_TOKEN, STSENV_FAM_ALIBABACLOUD, 5},
	{"ALICLOUD_ACCESS_KEY_ID", STSENV_F_ID, STSENV_FAM_ALICLOUD, 6},
	{"ALICLOUD_ACCESS_KEY", STSENV_F_ID, STSENV_FAM_ALICLOUD, 7},
	{"ALICLOUD_ACCESS_KEY_SECRET", STSENV_F_SECRET, STSENV_FAM_ALICLOUD, 8},
	{"ALICLOUD_SECRET_KEY", STSENV_F_SECRET, STSENV_FAM_ALICLOUD, 9},
	{"ALICLOUD_SECURITY_TOKEN", STSENV_F_TOKEN, STSENV_FAM_ALICLOUD, 10},
	{"OSS_ACCESS_KEY_ID", STSENV_F_ID, STSENV_FAM_OSS, 11},
	{"OSS_ACCESS_KEY_SECRET", STSENV_F_SECRET, STSENV_FAM_OSS, 12},
	{"OSS_SESSION_TOKEN", STSENV_F_TOKEN, STSENV_FAM_OSS, 13},
	{"STSENV_EXPIRATION", STSENV_F_EXPIRATION, STSENV_FAM_NONE, 14},
	{"STSENV_HANDOFF", STSENV_F_MARKER, STSENV_FAM_NONE, 15},
	{"STSENV_TREE", STSENV_F_TREE, STSENV_FAM_NONE, 16},
	{0, 0, 0, 0},
};
_Static_assert(sizeof(stsenv_builtin_names) / sizeof(stsenv_builtin_names[0]) ==
		       STSENV_BUILTIN_COUNT + 1,
	       "STSENV_BUILTIN_COUNT");

static const char *const field_names[] = {"id", "secret", "token", "expiration", "marker", "tree"};

const char *stsenv_field_name(int field)
{
	return field >= 0 && field < STSENV_F_COUNT ? field_names[field] : "?";
}

static void mark_first(struct stsenv_names *n, const char *name)
{
	unsigned char c = (unsigned char)name[0];

	n->first[c >> 6] |= 1ULL << (c & 63);
}

const struct stsenv_name *stsenv_names_find_slow(const struct stsenv_names *n, const char *name)
{
	for (const struct stsenv_name *b = stsenv_builtin_names; b->name; b++)
		if (b->name[1] == name[1] && strcmp(b->name, name) == 0)
			return b;
	for (int i = 0; i < n->nextra; i++)
		if (strcmp(n->extra[i].name, name) == 0)
			return &n->extra[i];
	return 0;
}

static bool valid_name(const char *s, size_t len)
{
	if (len == 0 || len >= STSENV_MAX_NAME || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return false;
	}
	return true;
}

int stsenv_names_init(struct stsenv_names *n, const char *vars, struct stsenv_err *err)
{
	int refused = 0;

	memset(n, 0, sizeof(*n));
	for (const struct stsenv_name *b = stsenv_builtin_names; b->name; b++)
		mark_first(n, b->name);
	for (const char *p = vars; p && *p;) {
		size_t len = strcspn(p, ","), nlen = strcspn(p, "=,");
		const char *val = p + nlen + 1;
		size_t vlen = nlen < len ? len - nlen - 1 : 0;
		int field = -1;

		/* The marker and the tree are stsenv's own: not for STSENV_VARS. */
		for (int f = 0; f <= STSENV_F_EXPIRATION && nlen < len; f++)
			if (strlen(field_names[f]) == vlen &&
			    strncmp(val, field_names[f], vlen) == 0)
				field = f;
		if (len == 0) {
			/* tolerate "A=id,,B=secret" and a trailing comma */
		} else if (!valid_name(p, nlen) || field < 0) {
			/* Printable characters only: the entry goes into a log line. */
			char shown[84];
			stsenv_json_excerpt(p, len, shown, sizeof(shown));
			if (!refused++)
				stsenv_err_set(err,
					       "STSENV_VARS entry \"%s\" is not "
					       "NAME=id|secret|token|expiration",
					       shown);
		} else if (n->nextra == STSENV_MAX_EXTRA) {
			if (!refused++)
				stsenv_err_set(err, "STSENV_VARS has more than %d names",
					       STSENV_MAX_EXTRA);
		} else {
			char *dst = n->store[n->nextra];
			memcpy(dst, p, nlen);
			dst[nlen] = '\0';
			if (stsenv_names_find_slow(n, dst)) {
				if (!refused++)
					stsenv_err_set(
						err,
						"STSENV_VARS names %s twice or a built-in name",
						dst);
			} else {
				n->extra[n->nextra].name = dst;
				n->extra[n->nextra].field = (uint8_t)field;
				n->extra[n->nextra].family = STSENV_FAM_USER;
				n->extra[n->nextra].index =
					(uint8_t)(STSENV_BUILTIN_COUNT + n->nextra);
				n->nextra++;
				mark_first(n, dst);
			}
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return refused;
}
