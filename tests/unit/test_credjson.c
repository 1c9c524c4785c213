/* The credential JSON reader (credjson.c) and the strict JSON layer under
 * it (json.c): untrusted input from every source. */
#include "../../core/cred.h"
#include "../../core/credjson.h"
#include "../../core/json.h"
#include "unit.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define Q(s) "\"" s "\""

#define ID     "STS.NSNdTVqXZaeu1dXW8Q7"
#define SECRET "SEKRET-xyz" /* must never appear in an error message */
#define TOKEN  "CAIS-token+/="
#define EXP    "2024-05-21T10:39:29Z"
#define EXP_MS INT64_C(1716287969000)

#define URI_FLAGS (STSENV_CJ_REQUIRE_TOKEN | STSENV_CJ_REQUIRE_EXPIRATION)

static const char *const field_keys[] = {"AccessKeyId", "AccessKeySecret", "SecurityToken",
					 "Expiration"};

/* The members of a credential body, as raw JSON values; NULL leaves the key
 * out.  extra is appended verbatim (",\"Pad\":[1]"). */
struct body {
	const char *code;
	const char *f[4]; /* in the order of field_keys */
	const char *extra;
};

static const struct body valid = {Q("Success"), {Q(ID), Q(SECRET), Q(TOKEN), Q(EXP)}, NULL};

static void member(FILE *f, const char **sep, const char *key, const char *raw)
{
	if (!raw)
		return;
	fprintf(f, "%s\"%s\":%s", *sep, key, raw);
	*sep = ",";
}

/* A malloc'd body in the shape the credentials URI returns. */
static char *build(const struct body *b)
{
	const char *sep = "";
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	if (!f)
		abort();
	fputc('{', f);
	member(f, &sep, "RequestId", Q("6C5E3A2B-0000-4F2B-9F4A-1234567890AB"));
	member(f, &sep, "Code", b->code);
	for (int i = 0; i < 4; i++)
		member(f, &sep, field_keys[i], b->f[i]);
	if (b->extra)
		fputs(b->extra, f);
	fputc('}', f);
	fclose(f);
	return s;
}

/* The same members nested the way STS AssumeRole returns them. */
static char *build_sts(const struct body *b)
{
	static const char shape[] =
		"{\"RequestId\":\"964A3F5C\","
		"\"AssumedRoleUser\":{\"Arn\":\"acs:ram::1:role/r\",\"AssumedRoleId\":\"3:r\"},"
		"\"Credentials\":%s}";
	char *inner = build(b), *s = NULL;

	if (asprintf(&s, shape, inner) < 0)
		abort();
	free(inner);
	return s;
}

/* Parses an exact-size copy of body: nothing readable follows it, so ASan
 * catches any read past len, and anything kept must have been copied. */
static int from_json(const char *body, size_t len, const char *object, unsigned flags,
		     struct stsenv_cred *c, struct stsenv_err *e)
{
	char *copy = malloc(len ? len : 1);
	int rc;

	if (!copy)
		abort();
	memcpy(copy, body, len);
	memset(c, 0, sizeof(*c));
	memset(e, 0, sizeof(*e));
	rc = stsenv_cred_from_json(copy, len, object, flags, c, e);
	free(copy);
	return rc;
}

static void expect_ok_at(int line, const char *body, const char *object, unsigned flags,
			 struct stsenv_cred *c)
{
	struct stsenv_err e;
	int rc = from_json(body, strlen(body), object, flags, c, &e);

	CHECK(rc == 0);
	if (rc != 0)
		fprintf(stderr, "    line %d: body %.300s\n    refused: %s\n", line, body, e.msg);
}

/* Checks that body is refused, that the output is untouched, and that the
 * message contains want (if not NULL) but never the secret. */
static void expect_fail_at(int line, const char *body, size_t len, const char *object,
			   unsigned flags, const char *want)
{
	static const struct stsenv_cred zero;
	struct stsenv_cred c;
	struct stsenv_err e;
	int before = unit_failed_checks;
	int rc = from_json(body, len, object, flags, &c, &e);

	CHECK(rc < 0);
	CHECK(memcmp(&c, &zero, sizeof(c)) == 0);
	CHECK(e.msg[0] != '\0');
	CHECK(!strstr(e.msg, SECRET));
	if (want)
		CHECK(strstr(e.msg, want) != NULL);
	if (unit_failed_checks != before)
		fprintf(stderr, "    line %d: body %.*s\n    rc %d, error \"%s\", wanted \"%s\"\n",
			line, (int)(len < 300 ? len : 300), body, rc, e.msg, want ? want : "");
	if (rc == 0)
		stsenv_cred_clear(&c);
}

#define EXPECT_OK(body, object, flags, c) expect_ok_at(__LINE__, body, object, flags, c)
#define EXPECT_FAIL(body, object, flags, want)                                                     \
	expect_fail_at(__LINE__, body, strlen(body), object, flags, want)

/* Builds b, checks it is refused with want in the message. */
static void expect_body_fail_at(int line, const struct body *b, unsigned flags, const char *want)
{
	char *s = build(b);

	expect_fail_at(line, s, strlen(s), NULL, flags, want);
	free(s);
}

#define EXPECT_BODY_FAIL(b, flags, want) expect_body_fail_at(__LINE__, b, flags, want)

/* ---- stsenv_cred_from_json ---- */

static void test_cred_valid_uri_body(void)
{
	char *s = build(&valid);
	struct stsenv_cred c;

	EXPECT_OK(s, NULL, URI_FLAGS, &c);
	CHECK_STR(c.id, ID);
	CHECK_STR(c.secret, SECRET);
	CHECK_STR(c.token, TOKEN);
	CHECK(c.exp_ms == EXP_MS);
	stsenv_cred_clear(&c);
	free(s);

	/* Whitespace anywhere between tokens, and around the object. */
	EXPECT_OK(" \r\n\t{ \"AccessKeyId\" : \"" ID "\" ,\n\t\"AccessKeySecret\":\"" SECRET
		  "\", \"SecurityToken\"\t:\"" TOKEN "\",\"Expiration\":\"" EXP "\" }\n\n",
		  NULL, URI_FLAGS, &c);
	CHECK_STR(c.id, ID);
	CHECK_STR(c.secret, SECRET);
	CHECK(c.exp_ms == EXP_MS);
	stsenv_cred_clear(&c);
}

static void test_cred_without_code(void)
{
	struct body b = valid;
	struct stsenv_cred c;
	char *s;

	b.code = NULL;
	s = build(&b);
	EXPECT_OK(s, NULL, URI_FLAGS, &c);
	CHECK_STR(c.id, ID);
	CHECK_STR(c.secret, SECRET);
	CHECK_STR(c.token, TOKEN);
	CHECK(c.exp_ms == EXP_MS);
	stsenv_cred_clear(&c);
	free(s);
}

static void test_cred_missing_field(void)
{
	char want[64];

	for (int i = 0; i < 4; i++) {
		struct body b = valid;

		b.f[i] = NULL;
		snprintf(want, sizeof(want), "%s is missing", field_keys[i]);
		EXPECT_BODY_FAIL(&b, URI_FLAGS, want);
	}
	/* Only the two keys are always required. */
	for (int i = 0; i < 2; i++) {
		struct body b = valid;

		b.f[i] = NULL;
		snprintf(want, sizeof(want), "%s is missing", field_keys[i]);
		EXPECT_BODY_FAIL(&b, 0, want);
	}
}

static void test_cred_wrong_type(void)
{
	static const char *const wrong[] = {
		"12345", "-1.5e3", "[\"" SECRET "\"]", "{\"v\":\"" SECRET "\"}", "true",
		"false", "null"};
	char want[64];

	for (int i = 0; i < 4; i++) {
		snprintf(want, sizeof(want), "%s is not a string", field_keys[i]);
		for (size_t k = 0; k < sizeof(wrong) / sizeof(wrong[0]); k++) {
			struct body b = valid;

			b.f[i] = wrong[k];
			EXPECT_BODY_FAIL(&b, URI_FLAGS, want);
			/* Optional fields may be null, but not of another type. */
			if (i >= 2 && strcmp(wrong[k], "null") != 0)
				EXPECT_BODY_FAIL(&b, 0, want);
		}
	}
}

static void test_cred_empty_string(void)
{
	struct stsenv_cred c;
	char want[64];
	char *s;

	for (int i = 0; i < 4; i++) {
		struct body b = valid;

		b.f[i] = Q("");
		snprintf(want, sizeof(want), "%s is empty", field_keys[i]);
		EXPECT_BODY_FAIL(&b, URI_FLAGS, want);
		if (i < 2)
			EXPECT_BODY_FAIL(&b, 0, want);
	}

	/* An optional field that is empty is as good as absent. */
	struct body b = valid;
	b.f[2] = Q("");
	b.f[3] = Q("");
	s = build(&b);
	EXPECT_OK(s, NULL, 0, &c);
	CHECK_STR(c.id, ID);
	CHECK(c.token == NULL);
	CHECK(c.exp_ms == STSENV_NO_EXPIRY);
	stsenv_cred_clear(&c);
	free(s);
}

static void test_cred_code_not_success(void)
{
	struct body b = valid;

	b.code = Q("InvalidAccessKeyId.NotFound");
	EXPECT_BODY_FAIL(&b, URI_FLAGS, "Code is \"InvalidAccessKeyId.NotFound\"");
	b.code = Q("success");
	EXPECT_BODY_FAIL(&b, URI_FLAGS, "\"success\"");
	b.code = Q("");
	EXPECT_BODY_FAIL(&b, URI_FLAGS, "Code is \"\"");
	/* Compared without decoding: an escaped "Success" is not Success. */
	b.code = Q("Succ\\u0065ss");
	EXPECT_BODY_FAIL(&b, URI_FLAGS, "Code is");
	/* The quoted Code is made printable and cut short. */
	b.code = Q("Bad\\t\xc3\xa9"
		   "0123456789012345678901234567890123456789012345678901234567890123456789");
	EXPECT_BODY_FAIL(&b, URI_FLAGS, "Code is \"Bad\\t??0123");
	EXPECT_BODY_FAIL(&b, URI_FLAGS, "...\", not Success");
}

static void test_cred_code_not_string(void)
{
	static const char *const codes[] = {"200", "null", "true", "[\"Success\"]",
					    "{\"Code\":\"Success\"}"};

	for (size_t k = 0; k < sizeof(codes) / sizeof(codes[0]); k++) {
		struct body b = valid;

		b.code = codes[k];
		EXPECT_BODY_FAIL(&b, URI_FLAGS, "Code is \"(not a string)\"");
	}
}

static void test_cred_expiration_forms(void)
{
	static const struct {
		const char *exp;
		int64_t ms;
	} forms[] = {
		{Q("2024-05-21T10:39:29Z"), EXP_MS},
		{Q("2024-05-21T10:39:29.123Z"), EXP_MS + 123},
		{Q("2024-05-21T10:39:29.1Z"), EXP_MS + 100},
		{Q("2024-05-21T10:39:29.000000009Z"), EXP_MS},
		{Q("2024-02-29T00:00:00Z"), INT64_C(1709164800000)},
	};
	struct stsenv_cred c;

	for (size_t k = 0; k < sizeof(forms) / sizeof(forms[0]); k++) {
		struct body b = valid;
		char *s;

		b.f[3] = forms[k].exp;
		s = build(&b);
		EXPECT_OK(s, NULL, URI_FLAGS, &c);
		CHECK(c.exp_ms == forms[k].ms);
		if (c.exp_ms != forms[k].ms)
			fprintf(stderr, "    %s -> %" PRId64 "\n", forms[k].exp, c.exp_ms);
		stsenv_cred_clear(&c);
		free(s);
	}
}

static void test_cred_expiration_bad(void)
{
	static const char *const bad[] = {
		"2024-05-21T10:39:29+08:00",
		"2024-05-21T10:39:29",
		"2024-05-21T10:39:29.123",
		"2024-13-21T10:39:29Z",
		"2024-00-21T10:39:29Z",
		"2024-02-30T10:39:29Z",
		"2023-02-29T10:39:29Z",
		"2024-04-31T10:39:29Z",
		"2024-05-21T24:00:00Z",
		"2024-05-21T10:60:00Z",
		"2024-05-21T10:39:61Z",
		"1969-12-31T23:59:59Z",
		"2024-05-21 10:39:29Z",
		"2024-05-21T10:39:29z",
		"2024-05-21T10:39:29.Z",
		"2024-05-21T10:39:29.1234567890Z",
		"2024-05-21T10:39:29ZZ",
		"2024-5-21T10:39:29Z",
		"+024-05-21T10:39:29Z",
		"1716287969",
		"garbage",
	};
	char raw[64], want[80];

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		struct body b = valid;

		snprintf(raw, sizeof(raw), "\"%s\"", bad[k]);
		snprintf(want, sizeof(want), "Expiration \"%s\" is not", bad[k]);
		b.f[3] = raw;
		EXPECT_BODY_FAIL(&b, URI_FLAGS, want);
		EXPECT_BODY_FAIL(&b, 0, want); /* optional, but not malformed */
	}
}

/* A JSON string of n copies of unit. */
static char *repeat(const char *unit, size_t n)
{
	size_t u = strlen(unit);
	char *s = malloc(n * u + 3);

	if (!s)
		abort();
	s[0] = '"';
	for (size_t i = 0; i < n; i++)
		memcpy(s + 1 + i * u, unit, u);
	strcpy(s + 1 + n * u, "\"");
	return s;
}

/* The string field i (in the order of field_keys) of c, or "" if unset. */
static const char *cred_str(const struct stsenv_cred *c, int i)
{
	const char *v = i == 0 ? c->id : i == 1 ? c->secret : c->token;

	return v ? v : "";
}

static void check_length_cap(int field, size_t max)
{
	struct stsenv_cred c;
	char want[64], *v, *s;
	struct body b = valid;

	/* Exactly at the cap: accepted. */
	v = repeat("k", max);
	b.f[field] = v;
	s = build(&b);
	EXPECT_OK(s, NULL, URI_FLAGS, &c);
	CHECK(strlen(cred_str(&c, field)) == max);
	stsenv_cred_clear(&c);
	free(s);
	free(v);

	/* The cap counts decoded bytes: "\/" is one. */
	v = repeat("\\/", max);
	b.f[field] = v;
	s = build(&b);
	EXPECT_OK(s, NULL, URI_FLAGS, &c);
	CHECK(strlen(cred_str(&c, field)) == max);
	stsenv_cred_clear(&c);
	free(s);
	free(v);

	snprintf(want, sizeof(want), "%s is too long", field_keys[field]);
	v = repeat("k", max + 1);
	b.f[field] = v;
	EXPECT_BODY_FAIL(&b, URI_FLAGS, want);
	free(v);
	v = repeat("\\u00e9", max / 2 + 1); /* 2 bytes each once decoded */
	b.f[field] = v;
	EXPECT_BODY_FAIL(&b, URI_FLAGS, want);
	free(v);
	v = repeat(SECRET, max / 10 + 1); /* the secret must not leak */
	b.f[field] = v;
	EXPECT_BODY_FAIL(&b, URI_FLAGS, want);
	free(v);
}

static void test_cred_too_long_values(void)
{
	check_length_cap(0, STSENV_MAX_ID);
	check_length_cap(1, STSENV_MAX_SECRET);
	check_length_cap(2, STSENV_MAX_TOKEN);
}

static void test_cred_body_too_large(void)
{
	char *s = build(&valid), *big;
	size_t n = strlen(s);
	struct stsenv_cred c;

	/* Padded with whitespace to exactly the cap: accepted. */
	big = malloc(STSENV_MAX_BODY + 2);
	if (!big)
		abort();
	memset(big, ' ', STSENV_MAX_BODY + 1);
	memcpy(big, s, n);
	big[STSENV_MAX_BODY] = '\0';
	EXPECT_OK(big, NULL, URI_FLAGS, &c);
	CHECK_STR(c.secret, SECRET);
	stsenv_cred_clear(&c);

	/* One byte more: refused before parsing. */
	big[STSENV_MAX_BODY] = ' ';
	big[STSENV_MAX_BODY + 1] = '\0';
	EXPECT_FAIL(big, NULL, URI_FLAGS, "body too large");
	free(big);
	free(s);

	/* The same with the bulk in a member. */
	struct body b = valid;
	char *pad = repeat("x", STSENV_MAX_BODY);
	char *extra = malloc(strlen(pad) + 16);
	if (!extra)
		abort();
	sprintf(extra, ",\"Pad\":%s", pad);
	b.extra = extra;
	EXPECT_BODY_FAIL(&b, URI_FLAGS, "body too large");
	free(extra);
	free(pad);
}

static void check_prefixes(const char *body, const char *object, unsigned flags)
{
	size_t len = strlen(body);
	struct stsenv_cred c;
	int before = unit_failed_checks;

	EXPECT_OK(body, object, flags, &c);
	stsenv_cred_clear(&c);
	for (size_t n = 0; n < len && unit_failed_checks == before; n++)
		expect_fail_at(__LINE__, body, n, object, flags, NULL);
}

static void test_cred_truncated_prefixes(void)
{
	struct body b = valid;
	char *s;

	b.f[2] = Q("tok\\/en\\u00e9\\ud83d\\ude00-" SECRET);
	b.extra = ",\"Pad\":[1,-2.5e3,true,false,null,{\"a\":[]},\"x\"]";
	s = build(&b);
	check_prefixes(s, NULL, URI_FLAGS);
	check_prefixes(s, NULL, 0);
	free(s);

	s = build_sts(&valid);
	check_prefixes(s, "Credentials", URI_FLAGS);
	free(s);
}

static void test_cred_junk(void)
{
	static const char *const junk[] = {
		"",  " ",    "\n",   "[]",   "null", "true", "1",    "\"x\"",  "{",
		"}", "{}{}", "{} x", "{} {", "{}}",  "{]",   "[{}]", "{}\x01", "x{}",
	};
	char *s = build(&valid);
	size_t n = strlen(s);
	char buf[1024];

	for (size_t k = 0; k < sizeof(junk) / sizeof(junk[0]); k++)
		EXPECT_FAIL(junk[k], NULL, URI_FLAGS, NULL);
	EXPECT_FAIL("", NULL, URI_FLAGS, "not an object");
	EXPECT_FAIL("[]", NULL, URI_FLAGS, "not an object");
	EXPECT_FAIL("{}{}", NULL, URI_FLAGS, "trailing data");
	EXPECT_FAIL("{}", NULL, URI_FLAGS, "AccessKeyId is missing");

	/* A NUL byte between members, inside the secret, or at the end. */
	const size_t at[] = {(size_t)(strchr(s, ',') - s), (size_t)(strstr(s, SECRET) - s) + 3, n};
	CHECK(n + 1 < sizeof(buf));
	for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
		memcpy(buf, s, at[k]);
		buf[at[k]] = '\0';
		memcpy(buf + at[k] + 1, s + at[k], n - at[k]);
		expect_fail_at(__LINE__, buf, n + 1, NULL, URI_FLAGS, "NUL");
	}
	free(s);
}

/* Texts that jsmn's strict mode lets through on its own. */
static void test_cred_malformed_json(void)
{
	static const char *const bad[] = {
		/* a key without a value, or a comma where the colon goes */
		"{\"AccessKeyId\",\"" ID "\",\"AccessKeySecret\":\"" SECRET "\"}",
		"{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET "\",\"x\"}",
		"{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET "\",\"x\":{\"y\"}}",
		/* stray or missing punctuation */
		"{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET "\",}",
		"{,\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET "\"}",
		"{\"AccessKeyId\":\"" ID "\",,\"AccessKeySecret\":\"" SECRET "\"}",
		"{\"AccessKeyId\"::\"" ID "\",\"AccessKeySecret\":\"" SECRET "\"}",
		"{\"AccessKeyId\":\"" ID "\" \"AccessKeySecret\":\"" SECRET "\"}",
		"{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET "\",\"x\":[1,]}",
		"{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET "\",\"x\":[,1]}",
		"{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET "\",\"x\":[1 2]}",
		"{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET "\",\"x\":[1:2]}",
		/* malformed literals and numbers */
		"{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET "\",\"x\":tru}",
		"{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET "\",\"x\":nul}",
		"{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET "\",\"x\":True}",
		"{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET "\",\"x\":01}",
		"{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET "\",\"x\":-}",
		"{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET "\",\"x\":1.}",
		"{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET "\",\"x\":.5}",
		"{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET "\",\"x\":1e}",
		"{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET "\",\"x\":+1}",
		"{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET "\",\"x\":0x10}",
		/* keys must be strings, values must be there */
		"{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET "\",1:2}",
		"{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET "\",\"x\":}",
		/* bad escapes */
		"{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET "\\x\"}",
		"{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET "\\u12\"}",
		"{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET "\\u12g4\"}",
	};
	/* Valid JSON around the credential is not the parser's business. */
	static const char *const good[] = {
		"{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET "\",\"x\":[]}",
		"{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET "\",\"x\":{}}",
		"{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET
		"\",\"x\":[0,-0,1.5,-2e10,3E+2,4e-2,10.25e1,true,false,null,\"\",[[]],{\"a\":{}}]}",
		"{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET "\",\"\":\"\"}",
		"{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET "\",\"k\\\"\\\\\":1}",
	};
	struct stsenv_cred c;

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
		EXPECT_FAIL(bad[k], NULL, 0, "JSON");
	for (size_t k = 0; k < sizeof(good) / sizeof(good[0]); k++) {
		EXPECT_OK(good[k], NULL, 0, &c);
		CHECK_STR(c.id, ID);
		CHECK_STR(c.secret, SECRET);
		stsenv_cred_clear(&c);
	}
}

static void test_cred_duplicate_keys(void)
{
	struct stsenv_cred c;
	char want[64], extra[128];
	char *s;

	for (int i = 0; i < 4; i++) {
		struct body b = valid;

		snprintf(extra, sizeof(extra), ",\"%s\":%s", field_keys[i], valid.f[i]);
		b.extra = extra;
		snprintf(want, sizeof(want), "%s appears more than once", field_keys[i]);
		EXPECT_BODY_FAIL(&b, URI_FLAGS, want);
		EXPECT_BODY_FAIL(&b, 0, want);
	}
	struct body b = valid;
	b.extra = ",\"Code\":\"Success\"";
	EXPECT_BODY_FAIL(&b, URI_FLAGS, "Code appears more than once");
	b.extra = ",\"SecurityToken\":null";
	EXPECT_BODY_FAIL(&b, 0, "SecurityToken appears more than once");

	/* The same key at another level, or as a value, is someone else's. */
	b.extra = ",\"Other\":{\"AccessKeyId\":\"x\",\"Code\":\"Fail\"},\"Note\":\"AccessKeyId\"";
	s = build(&b);
	EXPECT_OK(s, NULL, URI_FLAGS, &c);
	CHECK_STR(c.id, ID);
	stsenv_cred_clear(&c);
	free(s);
}

/* Parses a body whose AccessKeySecret is the raw JSON value v. */
static char *secret_of(const char *v)
{
	struct body b = valid;
	struct stsenv_cred c;
	struct stsenv_err e;
	char *s, *out = NULL;

	b.f[1] = v;
	s = build(&b);
	if (from_json(s, strlen(s), NULL, URI_FLAGS, &c, &e) == 0) {
		out = strdup(c.secret);
		stsenv_cred_clear(&c);
	} else {
		fprintf(stderr, "    %s refused: %s\n", v, e.msg);
	}
	free(s);
	return out;
}

static void check_secret(const char *v, const char *want)
{
	char *got = secret_of(v);

	CHECK_STR(got, want);
	free(got);
}

static void test_cred_escapes_decoded(void)
{
	check_secret(Q("a\\/b"), "a/b");
	check_secret(Q("\\u0041\\u0062c"), "Abc");
	check_secret(Q("q\\\"b\\\\s"), "q\"b\\s");
	check_secret(Q("\\u00e9"), "\xc3\xa9");
	check_secret(Q("\\u20AC"), "\xe2\x82\xac");
	check_secret(Q("\\ud83d\\ude00"), "\xf0\x9f\x98\x80");
	check_secret(Q("x\\uDBFF\\uDFFFy"), "x\xf4\x8f\xbf\xbfy");
	check_secret(Q("~\\u007e"), "~~");
	/* Raw bytes >= 0x80 pass unchanged, valid UTF-8 or not. */
	check_secret(Q("S\xc3\xa9\xe2\x82\xac-\xff\x80\xfe"), "S\xc3\xa9\xe2\x82\xac-\xff\x80\xfe");
}

static void test_cred_escapes_refused(void)
{
	static const char *const bad[] = {
		"\\n",
		"\\r",
		"\\t",
		"\\b",
		"\\f",
		"\\u0000",
		"\\u0001",
		"\\u000a",
		"\\u001F",
		"\\u007f",
		"\\ud83d",
		"\\ude00",
		"\\ud83dx",
		"\\ud83d\\u0041",
		"\\ud83d\\ud83d",
		"\x01",
		"\t",
		"\n",
		"\x1f",
		"\x7f",
	};
	char raw[64];

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		for (int i = 0; i < 3; i++) {
			struct body b = valid;
			char want[80];

			snprintf(raw, sizeof(raw), "\"" SECRET "%s" SECRET "\"", bad[k]);
			snprintf(want, sizeof(want), "%s contains a control character",
				 field_keys[i]);
			b.f[i] = raw;
			EXPECT_BODY_FAIL(&b, URI_FLAGS, want);
		}
	}
}

static void test_cred_nested_credentials(void)
{
	char *s = build_sts(&valid);
	struct stsenv_cred c;

	EXPECT_OK(s, "Credentials", URI_FLAGS, &c);
	CHECK_STR(c.id, ID);
	CHECK_STR(c.secret, SECRET);
	CHECK_STR(c.token, TOKEN);
	CHECK(c.exp_ms == EXP_MS);
	stsenv_cred_clear(&c);
	free(s);

	/* The top level is not searched when object is given... */
	struct body b = valid;
	b.f[0] = NULL;
	s = build_sts(&b);
	EXPECT_FAIL(s, "Credentials", URI_FLAGS, "AccessKeyId is missing");
	free(s);
	b = valid;
	b.extra = ",\"Credentials\":{\"AccessKeyId\":\"x\"}";
	s = build(&b);
	EXPECT_FAIL(s, "Credentials", URI_FLAGS, "AccessKeySecret is missing");
	free(s);

	/* ...and a top-level Code still counts. */
	EXPECT_FAIL("{\"Code\":\"Throttling\",\"Credentials\":{\"AccessKeyId\":\"" ID
		    "\",\"AccessKeySecret\":\"" SECRET "\"}}",
		    "Credentials", 0, "Code is \"Throttling\"");
}

static void test_cred_nested_credentials_bad(void)
{
	static const char *const notobj[] = {"\"x\"", "null", "[]", "[{}]", "1", "true"};
	char *s = build(&valid), body[256];

	EXPECT_FAIL(s, "Credentials", URI_FLAGS, "Credentials is missing");
	free(s);
	EXPECT_FAIL("{\"credentials\":{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET
		    "\"}}",
		    "Credentials", 0, "Credentials is missing");
	for (size_t k = 0; k < sizeof(notobj) / sizeof(notobj[0]); k++) {
		snprintf(body, sizeof(body), "{\"Credentials\":%s}", notobj[k]);
		EXPECT_FAIL(body, "Credentials", 0, "Credentials is not a single object");
	}
	EXPECT_FAIL("{\"Credentials\":{},\"Credentials\":{}}", "Credentials", 0,
		    "Credentials is not a single object");
	EXPECT_FAIL("{\"Credentials\":{}}", "Credentials", 0, "AccessKeyId is missing");
}

static void test_cred_file_shape(void)
{
	struct stsenv_cred c;

	EXPECT_OK("{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET "\"}", NULL, 0, &c);
	CHECK_STR(c.id, ID);
	CHECK_STR(c.secret, SECRET);
	CHECK(c.token == NULL);
	CHECK(c.exp_ms == STSENV_NO_EXPIRY);
	stsenv_cred_clear(&c);

	/* null counts as absent for the optional fields. */
	EXPECT_OK("{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET
		  "\",\"SecurityToken\":null,\"Expiration\":null}",
		  NULL, 0, &c);
	CHECK(c.token == NULL);
	CHECK(c.exp_ms == STSENV_NO_EXPIRY);
	stsenv_cred_clear(&c);

	/* Each flag makes its field required. */
	EXPECT_FAIL("{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET "\"}", NULL,
		    STSENV_CJ_REQUIRE_TOKEN, "SecurityToken is missing");
	EXPECT_FAIL("{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET "\"}", NULL,
		    STSENV_CJ_REQUIRE_EXPIRATION, "Expiration is missing");
	EXPECT_OK("{\"AccessKeyId\":\"" ID "\",\"AccessKeySecret\":\"" SECRET
		  "\",\"SecurityToken\":\"" TOKEN "\"}",
		  NULL, STSENV_CJ_REQUIRE_TOKEN, &c);
	CHECK_STR(c.token, TOKEN);
	CHECK(c.exp_ms == STSENV_NO_EXPIRY);
	stsenv_cred_clear(&c);
}

/* A body with an extra array of n numbers. */
static char *with_numbers(int n)
{
	struct body b = valid;
	char *extra = malloc((size_t)n * 4 + 16), *p, *s;

	if (!extra)
		abort();
	p = extra + sprintf(extra, ",\"Pad\":[");
	for (int i = 0; i < n; i++)
		p += sprintf(p, "%s%d", i ? "," : "", i % 100);
	strcpy(p, "]");
	b.extra = extra;
	s = build(&b);
	free(extra);
	return s;
}

static void test_cred_too_many_tokens(void)
{
	/* The object, 6 keys and 6 values, "Pad" and its array: 15 tokens. */
	int fit = STSENV_JSON_MAX_TOKENS - 15;
	struct stsenv_cred c;
	char *s;

	s = with_numbers(fit);
	EXPECT_OK(s, NULL, URI_FLAGS, &c);
	CHECK_STR(c.secret, SECRET);
	stsenv_cred_clear(&c);
	free(s);

	s = with_numbers(fit + 1);
	EXPECT_FAIL(s, NULL, URI_FLAGS, "too complex");
	free(s);
	s = with_numbers(300);
	EXPECT_FAIL(s, NULL, URI_FLAGS, "too complex");
	free(s);
}

static void test_json_excerpt(void)
{
	char buf[16];
	const char *s;

	s = "Throttling";
	stsenv_json_excerpt(s, strlen(s), buf, sizeof(buf));
	CHECK_STR(buf, "Throttling");
	s = "a\tb\x7f\xc3\xa9";
	stsenv_json_excerpt(s, strlen(s), buf, sizeof(buf));
	CHECK_STR(buf, "a?b???");
	stsenv_json_excerpt("", 0, buf, sizeof(buf));
	CHECK_STR(buf, "");
	/* Twelve characters fit in 16 bytes untouched; a thirteenth is cut. */
	s = "0123456789ab";
	stsenv_json_excerpt(s, strlen(s), buf, sizeof(buf));
	CHECK_STR(buf, "0123456789ab");
	s = "0123456789abc";
	stsenv_json_excerpt(s, strlen(s), buf, sizeof(buf));
	CHECK_STR(buf, "012345678...");
	/* Only len bytes are read. */
	stsenv_json_excerpt("Success", 4, buf, sizeof(buf));
	CHECK_STR(buf, "Succ");
}

int main(void)
{
	RUN(test_cred_valid_uri_body);
	RUN(test_cred_without_code);
	RUN(test_cred_missing_field);
	RUN(test_cred_wrong_type);
	RUN(test_cred_empty_string);
	RUN(test_cred_code_not_success);
	RUN(test_cred_code_not_string);
	RUN(test_cred_expiration_forms);
	RUN(test_cred_expiration_bad);
	RUN(test_cred_too_long_values);
	RUN(test_cred_body_too_large);
	RUN(test_cred_truncated_prefixes);
	RUN(test_cred_junk);
	RUN(test_cred_malformed_json);
	RUN(test_cred_duplicate_keys);
	RUN(test_cred_escapes_decoded);
	RUN(test_cred_escapes_refused);
	RUN(test_cred_nested_credentials);
	RUN(test_cred_nested_credentials_bad);
	RUN(test_cred_file_shape);
	RUN(test_cred_too_many_tokens);
	RUN(test_json_excerpt);
	UNIT_EXIT();
}
