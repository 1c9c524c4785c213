/* How a tree's processes reach its keeper (core/tree.h). */
#include "../../core/page.h"
#include "../../core/tree.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static void test_tree_value(void)
{
	struct stsenv_tree t = {.keeper = 4242}, back;
	char buf[STSENV_TREE_MAX];

	CHECK(stsenv_tree_new_name(t.name));
	CHECK(strlen(t.name) == STSENV_TREE_NAME);
	stsenv_tree_format(&t, buf, sizeof(buf));
	CHECK(strncmp(buf, "v1:4242:", 8) == 0);
	CHECK(stsenv_tree_parse(buf, &back) && back.keeper == 4242);
	CHECK_STR(back.name, t.name);
	CHECK(!stsenv_tree_parse("v1:0:0123456789abcdef0123456789abcdef", &back));
	CHECK(!stsenv_tree_parse("v1:12:0123456789abcdef0123456789abcdeF", &back));
	CHECK(!stsenv_tree_parse("v1:12:0123456789abcdef0123456789abcde", &back));
	CHECK(!stsenv_tree_parse("v1:12:0123456789abcdef0123456789abcdef0", &back));
	CHECK(!stsenv_tree_parse("v1:-3:0123456789abcdef0123456789abcdef", &back));
	CHECK(!stsenv_tree_parse("v1:99999999999:0123456789abcdef0123456789abcdef", &back));
	CHECK(!stsenv_tree_parse("", &back) && !stsenv_tree_parse(NULL, &back));
}

static void test_request_round_trip(void)
{
	struct stsenv_keep_request r = {.margin_ms = 900000, .timeout_ms = 5000, .log_level = 3},
				   back;
	char buf[8192];
	size_t n;

	memset(r.name, 'a', STSENV_TREE_NAME);
	strcpy(r.log_file, "/tmp/log");
	r.desc.kind = STSENV_SRC_OIDC;
	r.desc.flag = true;
	r.desc.duration_s = 1800;
	strcpy(r.desc.label, "oidc acs:ram::1:role/r");
	stsenv_desc_set(&r.desc, STSENV_D_ROLE_ARN, "acs:ram::1:role/r");
	stsenv_desc_set(&r.desc, STSENV_D_POLICY, "{\"Statement\": []}");
	n = stsenv_keep_request_pack(&r, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK(memcmp(buf + stsenv_keep_request_name_at(), r.name, STSENV_TREE_NAME) == 0);
	CHECK(stsenv_keep_request_unpack(&back, buf, n));
	CHECK(back.margin_ms == 900000 && back.timeout_ms == 5000 && back.log_level == 3);
	CHECK_STR(back.log_file, "/tmp/log");
	CHECK(back.desc.kind == STSENV_SRC_OIDC && back.desc.flag && back.desc.duration_s == 1800);
	CHECK_STR(back.desc.v[STSENV_D_POLICY], "{\"Statement\": []}");
	CHECK(back.desc.v[STSENV_D_SESSION] == NULL);
	CHECK(stsenv_desc_fingerprint(&back.desc) == stsenv_desc_fingerprint(&r.desc));
	stsenv_desc_clear(&back.desc);
	/* Every truncation, and a bad length, refused. */
	for (size_t k = 0; k < n; k++)
		CHECK(!stsenv_keep_request_unpack(&back, buf, k));
	CHECK(stsenv_keep_request_pack(&r, buf, 10) == 0);
	stsenv_desc_clear(&r.desc);
}

static void test_fingerprint_tells_configurations_apart(void)
{
	struct stsenv_desc a = {.kind = STSENV_SRC_URI}, b = {.kind = STSENV_SRC_URI};

	stsenv_desc_set(&a, STSENV_D_URI, "http://127.0.0.1:1/c?token=a");
	stsenv_desc_set(&b, STSENV_D_URI, "http://127.0.0.1:1/c?token=b");
	CHECK(stsenv_desc_fingerprint(&a) != stsenv_desc_fingerprint(&b));
	stsenv_desc_set(&b, STSENV_D_URI, "http://127.0.0.1:1/c?token=a");
	CHECK(stsenv_desc_fingerprint(&a) == stsenv_desc_fingerprint(&b));
	b.kind = STSENV_SRC_FILE;
	CHECK(stsenv_desc_fingerprint(&a) != stsenv_desc_fingerprint(&b));
	stsenv_desc_clear(&a);
	stsenv_desc_clear(&b);
}

static void test_cred_message(void)
{
	int sv[2];
	char buf[32768];
	ssize_t n;
	struct stsenv_cred c;

	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
	CHECK(stsenv_keep_send_cred(sv[0], "STS.id1", "sec", "tok", 1234));
	n = recv(sv[1], buf, sizeof(buf), 0);
	CHECK(n > 0 && stsenv_keep_recv_cred(buf, (size_t)n, &c));
	CHECK_STR(c.id, "STS.id1");
	CHECK_STR(c.token, "tok");
	CHECK(c.exp_ms == 1234);
	stsenv_cred_clear(&c);
	CHECK(stsenv_keep_send_cred(sv[0], "LTAIxx", "sec", NULL, 0));
	n = recv(sv[1], buf, sizeof(buf), 0);
	CHECK(n > 0 && stsenv_keep_recv_cred(buf, (size_t)n, &c) && c.token == NULL);
	stsenv_cred_clear(&c);
	CHECK(stsenv_keep_send_cred(sv[0], NULL, NULL, NULL, 0));
	n = recv(sv[1], buf, sizeof(buf), 0);
	CHECK(n > 0 && !stsenv_keep_recv_cred(buf, (size_t)n, &c));
	CHECK(!stsenv_keep_recv_cred("CR1", 3, &c));
	close(sv[0]);
	close(sv[1]);
}

struct server {
	int listen_fd, page_fd;
};

static void *serve_one(void *arg)
{
	struct server *s = arg;

	stsenv_tree_answer(s->listen_fd, s->page_fd);
	return NULL;
}

static void test_page_over_the_socket(void)
{
	struct stsenv_err err = {0};
	struct server s;
	struct stsenv_tree t = {.keeper = getpid()};
	struct stsenv_page *page;
	pthread_t th;
	int fd;

	CHECK(stsenv_tree_new_name(t.name));
	page = stsenv_page_create(7, NULL, &s.page_fd, &err);
	CHECK(page != NULL);
	s.listen_fd = stsenv_tree_listen(t.name, &err);
	CHECK(s.listen_fd >= 0);
	pthread_create(&th, NULL, serve_one, &s);
	fd = stsenv_tree_get_page(&t, 2000);
	pthread_join(th, NULL);
	CHECK(fd >= 0);
	CHECK(fd >= 0 && stsenv_page_map(fd, 7, &err) != NULL);
	CHECK(fd < 0 || (fcntl(fd, F_GETFD) & FD_CLOEXEC));
	if (fd >= 0)
		close(fd);
	/* The name is held by a process that is not the keeper named: no. */
	t.keeper = getppid();
	errno = 0;
	CHECK(stsenv_tree_get_page(&t, 2000) < 0 && errno == EACCES);
	/* Nobody listens: the keeper is gone. */
	close(s.listen_fd);
	t.keeper = getpid();
	errno = 0;
	CHECK(stsenv_tree_get_page(&t, 2000) < 0 && errno == ECONNREFUSED);
	stsenv_page_destroy(page);
	close(s.page_fd);
}

int main(void)
{
	RUN(test_tree_value);
	RUN(test_request_round_trip);
	RUN(test_fingerprint_tells_configurations_apart);
	RUN(test_cred_message);
	RUN(test_page_over_the_socket);
	UNIT_EXIT();
}
