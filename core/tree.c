#include "tree.h"

#include "clock.h"
#include "strbuf.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define ANSWER_PAGE   'P'
#define ANSWER_REFUSE 'D'

bool stsenv_tree_parse(const char *s, struct stsenv_tree *t)
{
	long pid = 0;
	const char *p;
	int i;

	if (!s || strncmp(s, "v1:", 3) != 0)
		return false;
	for (p = s + 3; *p >= '0' && *p <= '9' && pid < 1 << 30; p++)
		pid = pid * 10 + (*p - '0');
	if (p == s + 3 || *p != ':' || pid <= 0 || pid >= 1 << 30)
		return false;
	for (i = 0, p++; i < STSENV_TREE_NAME; i++, p++) {
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
		t->name[i] = *p;
	}
	if (*p)
		return false;
	t->name[i] = '\0';
	t->keeper = (pid_t)pid;
	return true;
}

/* By hand, not snprintf: a process may start a tree from a vfork child. */
void stsenv_tree_format(const struct stsenv_tree *t, char *buf, size_t len)
{
	char out[STSENV_TREE_MAX], dec[12], *p = out;
	unsigned v = (unsigned)t->keeper;
	int k = 0;

	memcpy(p, "v1:", 3);
	p += 3;
	do
		dec[k++] = (char)('0' + v % 10);
	while (v /= 10);
	while (k)
		*p++ = dec[--k];
	*p++ = ':';
	memcpy(p, t->name, STSENV_TREE_NAME + 1);
	if (len) {
		size_t n = strlen(out) < len ? strlen(out) : len - 1;
		memcpy(buf, out, n);
		buf[n] = '\0';
	}
}

bool stsenv_tree_new_name(char name[STSENV_TREE_NAME + 1])
{
	return stsenv_random_hex(name, STSENV_TREE_NAME);
}

/* An abstract address: no file, gone with the socket. */
static socklen_t address(const char *name, struct sockaddr_un *a)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path + 1, "stsenv-", 7);
	memcpy(a->sun_path + 8, name, STSENV_TREE_NAME);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 8 + STSENV_TREE_NAME);
}

int stsenv_tree_listen(const char *name, struct stsenv_err *err)
{
	struct sockaddr_un a;
	socklen_t len = address(name, &a);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, len) < 0 || listen(fd, 128) < 0) {
		stsenv_err_set(err, "cannot listen for the tree: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static bool peer(int fd, struct ucred *uc)
{
	socklen_t len = sizeof(*uc);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, uc, &len) == 0 && len == sizeof(*uc);
}

/* One message: a byte, and fd if it is not -1. */
static void send_fd(int sock, char byte, int fd)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&byte, 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *c;

	if (fd >= 0) {
		memset(ctl, 0, sizeof(ctl));
		m.msg_control = ctl;
		m.msg_controllen = sizeof(ctl);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	/* An empty socket buffer takes one small message: never blocks. */
	sendmsg(sock, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
}

void stsenv_tree_send_page(int sock, int page_fd)
{
	send_fd(sock, ANSWER_PAGE, page_fd);
}

void stsenv_tree_answer(int listen_fd, int page_fd)
{
	struct ucred uc;
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (peer(fd, &uc) && uc.uid == geteuid() && uc.gid == getegid())
		send_fd(fd, ANSWER_PAGE, page_fd);
	else
		send_fd(fd, ANSWER_REFUSE, -1);
	close(fd);
}

static int fail(int fd, int e)
{
	if (fd >= 0)
		close(fd);
	errno = e;
	return -1;
}

/* Connects without blocking on a full backlog for longer than timeout. */
static int dial(const struct stsenv_tree *t, int64_t until)
{
	struct sockaddr_un a;
	socklen_t len = address(t->name, &a);
	struct ucred uc;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	while (connect(fd, (struct sockaddr *)&a, len) < 0) {
		struct timespec pause = {0, 2000000};
		if (errno != EAGAIN || stsenv_mono_ms() >= until)
			return fail(fd, errno == EAGAIN ? ETIMEDOUT : ECONNREFUSED);
		nanosleep(&pause, NULL);
	}
	/* Whoever holds the name must be the keeper STSENV_TREE names. */
	if (!peer(fd, &uc) || uc.pid != t->keeper || uc.uid != geteuid())
		return fail(fd, EACCES);
	return fd;
}

/* The page descriptor answered on sock before until, or -1 (errno). */
static int recv_fd(int sock, int64_t until)
{
	char answer = 0, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&answer, 1};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = ctl,
			   .msg_controllen = sizeof(ctl)};
	struct pollfd pfd = {sock, POLLIN, 0};
	struct cmsghdr *c;
	int got = -1;
	ssize_t n;

	do {
		int64_t left = until - stsenv_mono_ms();
		if (left <= 0 || (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)) {
			errno = ETIMEDOUT;
			return -1;
		}
	} while (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)));
	n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	for (c = n > 0 ? CMSG_FIRSTHDR(&m) : NULL; c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&got, CMSG_DATA(c), sizeof(int));
	if (n == 1 && answer == ANSWER_PAGE && got >= 0 && !(m.msg_flags & MSG_CTRUNC))
		return got;
	if (got >= 0)
		close(got);
	errno = n == 0 ? ECONNREFUSED : EACCES;
	return -1;
}

int stsenv_tree_recv_page(int sock, int64_t timeout_ms)
{
	return recv_fd(sock, stsenv_mono_ms() + timeout_ms);
}

int stsenv_tree_get_page(const struct stsenv_tree *t, int64_t timeout_ms)
{
	int64_t until = stsenv_mono_ms() + timeout_ms;
	int fd = dial(t, until), got, e;

	if (fd < 0)
		return -1;
	got = recv_fd(fd, until);
	e = errno;
	close(fd);
	errno = e;
	return got;
}

/* ---- a root and its keeper ---------------------------------------------- */

struct rq_fixed {
	int64_t margin_ms, timeout_ms;
	int32_t log_level;
	char name[STSENV_TREE_NAME + 1];
	char log_file[1024];
};

size_t stsenv_keep_request_pack(const struct stsenv_keep_request *r, char *buf, size_t len)
{
	struct rq_fixed f;
	size_t n;

	if (len < 3 + sizeof(f))
		return 0;
	memset(&f, 0, sizeof(f));
	f.margin_ms = r->margin_ms;
	f.timeout_ms = r->timeout_ms;
	f.log_level = r->log_level;
	memcpy(f.name, r->name, sizeof(f.name));
	memcpy(f.log_file, r->log_file, sizeof(f.log_file));
	memcpy(buf, "SK1", 3);
	memcpy(buf + 3, &f, sizeof(f));
	n = stsenv_desc_pack(&r->desc, buf + 3 + sizeof(f), len - 3 - sizeof(f));
	return n ? 3 + sizeof(f) + n : 0;
}

size_t stsenv_keep_request_packed_len(const struct stsenv_keep_request *r)
{
	return 3 + sizeof(struct rq_fixed) + stsenv_desc_packed_len(&r->desc);
}

bool stsenv_keep_request_unpack(struct stsenv_keep_request *r, const char *buf, size_t len)
{
	struct rq_fixed f;

	memset(r, 0, sizeof(*r));
	if (len < 3 + sizeof(f) || memcmp(buf, "SK1", 3) != 0)
		return false;
	memcpy(&f, buf + 3, sizeof(f));
	if (f.name[STSENV_TREE_NAME] || f.log_file[sizeof(f.log_file) - 1] ||
	    strlen(f.name) != STSENV_TREE_NAME)
		return false;
	r->margin_ms = f.margin_ms;
	r->timeout_ms = f.timeout_ms;
	r->log_level = f.log_level;
	memcpy(r->name, f.name, sizeof(r->name));
	memcpy(r->log_file, f.log_file, sizeof(r->log_file));
	return stsenv_desc_unpack(&r->desc, buf + 3 + sizeof(f), len - 3 - sizeof(f));
}

size_t stsenv_keep_request_name_at(void)
{
	return 3 + offsetof(struct rq_fixed, name);
}

struct cred_head {
	char magic[4];
	int64_t exp_ms;
	uint32_t len[3];
	uint32_t has_token;
};

bool stsenv_keep_send_cred(int fd, const char *id, const char *secret, const char *token,
			   int64_t exp_ms)
{
	struct cred_head h = {"CR1", exp_ms, {0, 0, 0}, token != NULL};
	struct iovec iov[4] = {{&h, sizeof(h)}};
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = 1};

	if (id && secret) {
		h.len[0] = (uint32_t)strlen(id);
		h.len[1] = (uint32_t)strlen(secret);
		h.len[2] = token ? (uint32_t)strlen(token) : 0;
		iov[1] = (struct iovec){(void *)id, h.len[0]};
		iov[2] = (struct iovec){(void *)secret, h.len[1]};
		iov[3] = (struct iovec){(void *)(token ? token : ""), h.len[2]};
		m.msg_iovlen = 4;
	} else {
		memcpy(h.magic, "CR0", 4);
	}
	return sendmsg(fd, &m, MSG_NOSIGNAL) >= 0;
}

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

bool stsenv_keep_recv_cred(const char *buf, size_t len, struct stsenv_cred *out)
{
	struct cred_head h;
	uint64_t total;

	memset(out, 0, sizeof(*out));
	if (len < sizeof(h))
		return false;
	memcpy(&h, buf, sizeof(h));
	total = (uint64_t)h.len[0] + h.len[1] + h.len[2];
	if (memcmp(h.magic, "CR1", 4) != 0 || total != len - sizeof(h) || !h.len[0] || !h.len[1] ||
	    h.len[0] > STSENV_MAX_ID || h.len[1] > STSENV_MAX_SECRET ||
	    h.len[2] > STSENV_MAX_TOKEN || memchr(buf + sizeof(h), '\0', (size_t)total))
		return false;
	buf += sizeof(h);
	out->id = dup_n(buf, h.len[0]);
	out->secret = dup_n(buf + h.len[0], h.len[1]);
	out->token = h.has_token ? dup_n(buf + h.len[0] + h.len[1], h.len[2]) : NULL;
	out->exp_ms = h.exp_ms;
	if (!out->id || !out->secret || (h.has_token && !out->token)) {
		stsenv_cred_clear(out);
		return false;
	}
	return true;
}
