/* URLs: redaction for logs, schemes, local addresses (url.c). */
#include "../../core/url.h"
#include "unit.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- URLs ---- */

static void check_redact(const char *url, const char *want)
{
	char buf[128];

	memset(buf, 'X', sizeof(buf));
	stsenv_url_redact(url, buf, sizeof(buf));
	CHECK_STR(buf, want);
}

static void test_url_redact(void)
{
	char small[10];

	check_redact("http://u:p@127.0.0.1:8080/path?token=abc#f", "http://127.0.0.1:8080/path");
	check_redact("https://sts.aliyuncs.com/?Action=AssumeRole&Signature=abc",
		     "https://sts.aliyuncs.com/");
	check_redact("http://user@host", "http://host");
	check_redact("http://host?token=abc", "http://host");
	check_redact("http://host#token=abc", "http://host");
	check_redact("http://host/a/b", "http://host/a/b");
	check_redact("http://[::1]:80/c?x", "http://[::1]:80/c");
	check_redact("http://host/p@q?x", "http://host/p@q");
	check_redact("http://host/?u=http://a:b@c", "http://host/");
	check_redact("", "");
	/* Without a scheme, and with a "://" later on that is not one. */
	check_redact("u:p@host/path?q", "host/path");
	check_redact("localhost/creds?token=abc&next=http://x", "localhost/creds");
	check_redact("localhost?token=abc://x", "localhost");
	/* A password with an unencoded '@': userinfo ends at the last one. */
	check_redact("http://u:PASS@WORD3@127.0.0.1:1/c", "http://127.0.0.1:1/c");
	check_redact("http://a@b@c@host/p?q", "http://host/p");
	check_redact("HTTP://u:p@Host/C?x", "HTTP://Host/C");

	stsenv_url_redact("http://127.0.0.1:8080/path", small, sizeof(small));
	CHECK_STR(small, "http://12");
}

static void test_url_scheme(void)
{
	CHECK(stsenv_url_scheme_ok("http://h/c"));
	CHECK(stsenv_url_scheme_ok("HTTP://h/c"));
	CHECK(stsenv_url_scheme_ok("Https://h/c"));
	CHECK(!stsenv_url_scheme_ok("ftp://h/c"));
	CHECK(!stsenv_url_scheme_ok("http:/h"));
	CHECK(!stsenv_url_scheme_ok("httpx://h"));
	CHECK(!stsenv_url_scheme_ok(""));
	CHECK(!stsenv_url_scheme_ok(NULL));
}

static void test_url_is_local(void)
{
	static const char *const local[] = {
		"http://127.0.0.1:8080/creds",
		"http://127.0.0.1",
		"http://127.1.2.3/",
		"http://localhost/",
		"http://LOCALHOST:80",
		"http://[::1]:8080/x",
		"http://[::1]/",
		"http://[fe80::1]/",
		"http://169.254.1.1/",
		"http://169.254.169.254/latest",
		"http://100.100.100.200/latest/meta-data/ram/security-credentials/r",
		"http://user:pw@127.0.0.1/",
		"http://example.com@127.0.0.1/",
		"https://127.0.0.1/?u=http://example.com",
		"http://u:p@ss@127.0.0.1/",
	};
	static const char *const remote[] = {
		"http://example.com/",
		"http://10.0.0.1/",
		"https://sts.aliyuncs.com/",
		"http://100.100.100.201/",
		"http://128.0.0.1/",
		"http://1.127.0.0/",
		"http://localhost.example.com/",
		"http://127.0.0.1@example.com/",
		"http://u:p@127.0.0.1@example.com/",
		"http://example.com/?h=127.0.0.1",
		"http://example.com/127.0.0.1",
		"http://127.example.com/",
		"http://127.0.0.1.nip.io/",
		"http://169.254.example.com/",
		"http://[2001:db8::1]/",
		"",
	};

	for (size_t k = 0; k < sizeof(local) / sizeof(local[0]); k++) {
		CHECK(stsenv_url_is_local(local[k]));
		if (!stsenv_url_is_local(local[k]))
			fprintf(stderr, "    %s\n", local[k]);
	}
	for (size_t k = 0; k < sizeof(remote) / sizeof(remote[0]); k++) {
		CHECK(!stsenv_url_is_local(remote[k]));
		if (stsenv_url_is_local(remote[k]))
			fprintf(stderr, "    %s\n", remote[k]);
	}
}

int main(void)
{
	RUN(test_url_redact);
	RUN(test_url_scheme);
	RUN(test_url_is_local);
	UNIT_EXIT();
}
