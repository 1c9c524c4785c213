/* The RPC signature (sign.c) and the STS helpers it rests on (sts.c),
 * against Alibaba Cloud's published examples. */
#include "../../core/sign.h"
#include "../../core/sts.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

/* The signature documentation's DNS example (DescribeDomainRecords). */
static struct stsenv_param dns[] = {
	{"Format", "XML"},
	{"AccessKeyId", "testid"},
	{"Action", "DescribeDomainRecords"},
	{"SignatureMethod", "HMAC-SHA1"},
	{"DomainName", "example.com"},
	{"SignatureVersion", "1.0"},
	{"SignatureNonce", "f59ed6a9-83fc-473b-9cc6-99c95df3856e"},
	{"Timestamp", "2016-03-24T16:41:54Z"},
	{"Version", "2015-01-09"},
};

static void test_sign_published_dns_example(void)
{
	char *s = stsenv_rpc_string_to_sign("GET", dns, sizeof(dns) / sizeof(dns[0]));
	char sig[64] = "";
	struct stsenv_err err = {0};

	CHECK_STR(s, "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeDomainRecords%26DomainName%"
		     "3Dexample.com%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%"
		     "3Df59ed6a9-83fc-473b-9cc6-99c95df3856e%26SignatureVersion%3D1.0%26Timestamp%"
		     "3D2016-03-24T16%253A41%253A54Z%26Version%3D2015-01-09");
	free(s);
	CHECK(stsenv_rpc_sign("GET", dns, sizeof(dns) / sizeof(dns[0]), "testsecret", sig,
			      sizeof(sig), &err) == 0);
	CHECK_STR(sig, "uRpHwaSEt3J+6KQD//svCh/x+pI=");
}

/* The ECS example (DescribeRegions) of the same documentation. */
static void test_sign_published_ecs_example(void)
{
	struct stsenv_param p[] = {
		{"Timestamp", "2016-02-23T12:46:24Z"},
		{"Format", "XML"},
		{"AccessKeyId", "testid"},
		{"Action", "DescribeRegions"},
		{"SignatureMethod", "HMAC-SHA1"},
		{"SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"},
		{"Version", "2014-05-26"},
		{"SignatureVersion", "1.0"},
	};
	char sig[64] = "";
	struct stsenv_err err = {0};

	CHECK(stsenv_rpc_sign("GET", p, sizeof(p) / sizeof(p[0]), "testsecret", sig, sizeof(sig),
			      &err) == 0);
	CHECK_STR(sig, "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
}

/* A space is %20 (never '+', which breaks a policy with a space), '*' is
 * %2A, '~' stays; and the whole query is encoded again in the string. */
static void test_sign_encoding(void)
{
	struct stsenv_param p[] = {{"Policy", "{\"Action\": \"oss:*\"}"}, {"B", "a~b+c/é"}};
	char *s = stsenv_rpc_string_to_sign("POST", p, 2);
	char buf[64] = "";
	size_t len = 0;

	CHECK_STR(s, "POST&%2F&B%3Da~b%252Bc%252F%25C3%25A9%26Policy%3D%257B%2522Action%2522%253A%"
		     "2520%2522oss%253A%252A%2522%257D");
	free(s);
	CHECK(stsenv_pct_append(buf, sizeof(buf), &len, "a b*c~") == 0);
	CHECK_STR(buf, "a%20b%2Ac~");
	len = 0;
	CHECK(stsenv_form_add(buf, 8, &len, "K", "toolong") < 0);
}

static void test_sts_url(void)
{
	char u[128];

	stsenv_sts_url(NULL, NULL, false, u, sizeof(u));
	CHECK_STR(u, "https://sts.aliyuncs.com");
	stsenv_sts_url(NULL, "cn-beijing", true, u, sizeof(u));
	CHECK_STR(u, "https://sts-vpc.cn-beijing.aliyuncs.com");
	stsenv_sts_url("http://127.0.0.1:9/", "cn-beijing", false, u, sizeof(u));
	CHECK_STR(u, "http://127.0.0.1:9");
	stsenv_sts_url("sts.example.com", NULL, false, u, sizeof(u));
	CHECK_STR(u, "https://sts.example.com");
}

/* STS's error says its Code and Message, never another value of the body. */
static void test_sts_judge(void)
{
	static const char denied[] = "{\"RequestId\":\"r\",\"Code\":\"NoPermission\",\"Message\":"
				     "\"You are not authorized\",\"Secret\":\"s3cr3t\"}";
	static const char badsig[] =
		"{\"Code\":\"SignatureDoesNotMatch\",\"Message\":\"Specified signature is not "
		"matched with our calculation. server string to sign is:POST&%2F&AccessKeyId%3DSTS."
		"signer\"}";
	static const char skew[] = "{\"Code\":\"InvalidTimeStamp.Expired\",\"Message\":\"late\"}";
	static const char ok[] = "{\"RequestId\":\"r\",\"Credentials\":{\"AccessKeyId\":\"STS.x\","
				 "\"AccessKeySecret\":\"sec\",\"SecurityToken\":\"tok\","
				 "\"Expiration\":\"2030-01-01T00:00:00Z\"}}";
	struct stsenv_cred c = {0};
	struct stsenv_err err = {0};

	CHECK(stsenv_sts_judge("http://h", "AssumeRole acs:ram::1:role/r", 403, denied,
			       strlen(denied), &c, &err) < 0);
	CHECK(strstr(err.msg, "AssumeRole acs:ram::1:role/r: HTTP 403, NoPermission: You are "
			      "not authorized") != NULL);
	CHECK(!strstr(err.msg, "s3cr3t") && !c.id);
	CHECK(stsenv_sts_judge("h", "AssumeRole", 400, skew, strlen(skew), &c, &err) < 0);
	CHECK(strstr(err.msg, "clock") != NULL);
	/* The gateway quotes the string it signed: the signer's id and token. */
	CHECK(stsenv_sts_judge("h", "AssumeRole", 400, badsig, strlen(badsig), &c, &err) < 0);
	CHECK(strstr(err.msg, "SignatureDoesNotMatch: Specified signature is not matched with "
			      "our calculation.") != NULL);
	CHECK(!strstr(err.msg, "STS.signer") && !strstr(err.msg, "string to sign"));
	CHECK(stsenv_sts_judge("h", "AssumeRole", 200, "{}", 2, &c, &err) < 0);
	CHECK(stsenv_sts_judge("h", "AssumeRole", 200, ok, strlen(ok), &c, &err) == 0);
	CHECK_STR(c.id, "STS.x");
	CHECK_STR(c.token, "tok");
	stsenv_cred_clear(&c);
}

int main(void)
{
	RUN(test_sign_published_dns_example);
	RUN(test_sign_published_ecs_example);
	RUN(test_sign_encoding);
	RUN(test_sts_url);
	RUN(test_sts_judge);
	UNIT_EXIT();
}
