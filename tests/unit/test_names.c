/* The served names and STSENV_VARS (names.c). */
#include "../../core/names.h"
#include "unit.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- names ---- */

static void test_names_builtin(void)
{
	struct stsenv_names n;
	struct stsenv_err e;
	int count = 0;

	strcpy(e.msg, "untouched");
	CHECK(stsenv_names_init(&n, NULL, &e) == 0);
	CHECK(n.nextra == 0);
	CHECK_STR(e.msg, "untouched");
	for (const struct stsenv_name *b = stsenv_builtin_names; b->name; b++, count++) {
		const struct stsenv_name *f = stsenv_names_find(&n, b->name);

		CHECK(f == b);
		if (f != b)
			fprintf(stderr, "    %s not found\n", b->name);
		CHECK(b->index == count && stsenv_names_at(&n, count) == b);
	}
	/* The 15 names every SDK reads, then STSENV_HANDOFF and STSENV_TREE, stsenv's own. */
	CHECK(count == STSENV_BUILTIN_COUNT && count == 17);

	static const struct {
		const char *name;
		int field, family;
	} spot[] = {
		{"ALIBABA_CLOUD_ACCESS_KEY_ID", STSENV_F_ID, STSENV_FAM_ALIBABA_CLOUD},
		{"ALIBABA_CLOUD_ACCESS_KEY_SECRET", STSENV_F_SECRET, STSENV_FAM_ALIBABA_CLOUD},
		{"ALIBABA_CLOUD_SECURITY_TOKEN", STSENV_F_TOKEN, STSENV_FAM_ALIBABA_CLOUD},
		{"ALIBABACLOUD_ACCESS_KEY_ID", STSENV_F_ID, STSENV_FAM_ALIBABACLOUD},
		{"ALICLOUD_ACCESS_KEY", STSENV_F_ID, STSENV_FAM_ALICLOUD},
		{"ALICLOUD_SECRET_KEY", STSENV_F_SECRET, STSENV_FAM_ALICLOUD},
		{"ALICLOUD_SECURITY_TOKEN", STSENV_F_TOKEN, STSENV_FAM_ALICLOUD},
		{"OSS_ACCESS_KEY_SECRET", STSENV_F_SECRET, STSENV_FAM_OSS},
		{"OSS_SESSION_TOKEN", STSENV_F_TOKEN, STSENV_FAM_OSS},
		{"STSENV_HANDOFF", STSENV_F_MARKER, STSENV_FAM_NONE},
		{"STSENV_TREE", STSENV_F_TREE, STSENV_FAM_NONE},
		{"STSENV_EXPIRATION", STSENV_F_EXPIRATION, STSENV_FAM_NONE},
	};
	for (size_t k = 0; k < sizeof(spot) / sizeof(spot[0]); k++) {
		const struct stsenv_name *f = stsenv_names_find(&n, spot[k].name);

		CHECK(f && f->field == spot[k].field && f->family == spot[k].family);
	}

	static const char *const absent[] = {"PATH",
					     "HOME",
					     "ALIBABA_CLOUD_ACCESS_KEY_IDX",
					     "ALIBABA_CLOUD_ACCESS_KEY_I",
					     "alibaba_cloud_access_key_id",
					     "ALIBABA",
					     "A",
					     "O",
					     "",
					     "\xc3\xa9"};
	for (size_t k = 0; k < sizeof(absent) / sizeof(absent[0]); k++)
		CHECK(stsenv_names_find(&n, absent[k]) == NULL);

	CHECK_STR(stsenv_field_name(STSENV_F_ID), "id");
	CHECK_STR(stsenv_field_name(STSENV_F_SECRET), "secret");
	CHECK_STR(stsenv_field_name(STSENV_F_TOKEN), "token");
	CHECK_STR(stsenv_field_name(STSENV_F_EXPIRATION), "expiration");
	CHECK_STR(stsenv_field_name(-1), "?");
	CHECK_STR(stsenv_field_name(STSENV_F_COUNT), "?");
}

static void check_extra(const struct stsenv_names *n, const char *name, int field)
{
	const struct stsenv_name *f = stsenv_names_find(n, name);

	CHECK(f != NULL);
	if (!f) {
		fprintf(stderr, "    %s not found\n", name);
		return;
	}
	CHECK_STR(f->name, name);
	CHECK(f->field == field);
	CHECK(f->family == STSENV_FAM_USER);
}

static void test_names_vars(void)
{
	struct stsenv_names n;
	struct stsenv_err e;

	memset(&e, 0, sizeof(e));
	CHECK(stsenv_names_init(&n, "MY_ID=id,MY_SECRET=secret, BAD, X=nope,1ABC=id,,Z=token",
				&e) == 3);
	CHECK(n.nextra == 3);
	check_extra(&n, "MY_ID", STSENV_F_ID);
	check_extra(&n, "MY_SECRET", STSENV_F_SECRET);
	check_extra(&n, "Z", STSENV_F_TOKEN);
	CHECK(strstr(e.msg, "\" BAD\"") != NULL);
	CHECK(!strstr(e.msg, "nope") && !strstr(e.msg, "1ABC"));
	static const char *const refused[] = {"BAD", " BAD", "X", " X", "1ABC", ""};
	for (size_t k = 0; k < sizeof(refused) / sizeof(refused[0]); k++)
		CHECK(stsenv_names_find(&n, refused[k]) == NULL);
	/* Built-ins are still there. */
	CHECK(stsenv_names_find(&n, "OSS_ACCESS_KEY_ID") != NULL);

	strcpy(e.msg, "untouched");
	CHECK(stsenv_names_init(&n, "lower_1=expiration,_U=secret,", &e) == 0);
	CHECK_STR(e.msg, "untouched");
	check_extra(&n, "lower_1", STSENV_F_EXPIRATION);
	check_extra(&n, "_U", STSENV_F_SECRET);
	CHECK(stsenv_names_init(&n, "", &e) == 0 && n.nextra == 0);
	CHECK(stsenv_names_init(&n, ",,,", &e) == 0 && n.nextra == 0);

	static const char *const bad[] = {"A",	    "A=",     "=id",	"A=ID",
					  "A=id ",  "A =id",  "A==id",	"A=idx",
					  "A-B=id", "A.B=id", "A=id=x", "\xc3\xa9=id"};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		e.msg[0] = '\0';
		CHECK(stsenv_names_init(&n, bad[k], &e) == 1);
		CHECK(n.nextra == 0);
		CHECK(strstr(e.msg, "is not NAME=id|secret|token|expiration") != NULL);
	}

	/* A name is at most STSENV_MAX_NAME - 1 bytes. */
	char spec[STSENV_MAX_NAME + 16];
	memset(spec, 'N', STSENV_MAX_NAME - 1);
	strcpy(spec + STSENV_MAX_NAME - 1, "=id");
	CHECK(stsenv_names_init(&n, spec, &e) == 0 && n.nextra == 1);
	memset(spec, 'N', STSENV_MAX_NAME);
	strcpy(spec + STSENV_MAX_NAME, "=id");
	CHECK(stsenv_names_init(&n, spec, &e) == 1 && n.nextra == 0);
}

static void test_names_duplicate(void)
{
	struct stsenv_names n;
	struct stsenv_err e;
	const struct stsenv_name *f;

	memset(&e, 0, sizeof(e));
	CHECK(stsenv_names_init(&n, "ALIBABA_CLOUD_ACCESS_KEY_ID=secret", &e) == 1);
	CHECK(n.nextra == 0);
	CHECK(strstr(e.msg, "ALIBABA_CLOUD_ACCESS_KEY_ID") != NULL);
	f = stsenv_names_find(&n, "ALIBABA_CLOUD_ACCESS_KEY_ID");
	CHECK(f && f->field == STSENV_F_ID && f->family == STSENV_FAM_ALIBABA_CLOUD);

	CHECK(stsenv_names_init(&n, "STSENV_EXPIRATION=expiration", &e) == 1);
	CHECK(stsenv_names_init(&n, "A=id,B=token,A=secret", &e) == 1);
	CHECK(n.nextra == 2);
	CHECK(strstr(e.msg, "A twice") != NULL);
	check_extra(&n, "A", STSENV_F_ID);
	check_extra(&n, "B", STSENV_F_TOKEN);
}

static void test_names_too_many(void)
{
	struct stsenv_names n;
	struct stsenv_err e;
	char spec[(STSENV_MAX_EXTRA + 2) * 16] = "", name[16];

	for (int i = 0; i < STSENV_MAX_EXTRA + 2; i++)
		sprintf(spec + strlen(spec), "%sVAR_%02d=id", i ? "," : "", i);
	memset(&e, 0, sizeof(e));
	CHECK(stsenv_names_init(&n, spec, &e) == 2);
	CHECK(n.nextra == STSENV_MAX_EXTRA);
	CHECK(strstr(e.msg, "more than 32 names") != NULL);
	for (int i = 0; i < STSENV_MAX_EXTRA + 2; i++) {
		sprintf(name, "VAR_%02d", i);
		if (i < STSENV_MAX_EXTRA)
			check_extra(&n, name, STSENV_F_ID);
		else
			CHECK(stsenv_names_find(&n, name) == NULL);
	}
}

int main(void)
{
	RUN(test_names_builtin);
	RUN(test_names_vars);
	RUN(test_names_duplicate);
	RUN(test_names_too_many);
	UNIT_EXIT();
}
