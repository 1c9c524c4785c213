/* The owner of a loopback TCP peer (peeruid.c): with sock_diag, with
 * /proc/net/tcp, for ourselves, for another user (as root), for a peer
 * that is gone, and what is not a loopback TCP socket. */
#include "../../core/peeruid.h"
#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOBODY 65534

/* A listener on the loopback of family (127.0.0.1 or ::1), port any;
 * -1 if that family has no loopback here. */
static int listen_lo(int family, struct sockaddr_storage *addr, socklen_t *len)
{
	int s = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(addr, 0, sizeof(*addr));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)addr;

		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)addr;

		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		*len = sizeof(*in6);
	}
	if (s < 0 || bind(s, (struct sockaddr *)addr, *len) < 0 || listen(s, 4) < 0 ||
	    getsockname(s, (struct sockaddr *)addr, len) < 0) {
		if (s >= 0)
			close(s);
		return -1;
	}
	return s;
}

static int connect_to(const struct sockaddr_storage *addr, socklen_t len)
{
	int c = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (c >= 0 && connect(c, (const struct sockaddr *)addr, len) < 0) {
		close(c);
		return -1;
	}
	return c;
}

/* Whether sock_diag answers here at all (a sandbox may filter it). */
static bool diag_works(int fd)
{
	int64_t uid = stsenv_tcp_peer_uid_diag(fd);

	if (uid < 0)
		fprintf(stderr, "  (sock_diag unavailable here: %s; its checks skipped)\n",
			strerror(errno));
	return uid >= 0;
}

/* Our own connection, both ways, by every lookup; errno kept. */
static void check_self(int family)
{
	struct sockaddr_storage addr;
	socklen_t len;
	int l = listen_lo(family, &addr, &len), c, a;
	int64_t me = (int64_t)geteuid();

	if (l < 0) {
		fprintf(stderr, "  (no %s loopback: skipped)\n",
			family == AF_INET ? "IPv4" : "IPv6");
		return;
	}
	c = connect_to(&addr, len);
	a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	CHECK(c >= 0 && a >= 0);

	errno = 4242;
	CHECK(stsenv_tcp_peer_uid(a) == me);
	CHECK(errno == 4242);
	CHECK(stsenv_tcp_peer_uid(c) == me); /* the accepted end is ours too */
	CHECK(stsenv_tcp_peer_uid_proc(a, NULL) == me);
	CHECK(errno == 4242);
	CHECK(stsenv_tcp_peer_uid_proc(c, NULL) == me);
	if (diag_works(a)) {
		CHECK(stsenv_tcp_peer_uid_diag(a) == me);
		CHECK(errno == 4242);
		CHECK(stsenv_tcp_peer_uid_diag(c) == me);
	}

	/* The client closes: its socket lingers without an owner (FIN_WAIT2,
	 * uid 0 to the kernel) and is not taken for root's. */
	close(c);
	usleep(20000);
	errno = 0;
	CHECK(stsenv_tcp_peer_uid(a) == -1 && errno == ENOENT);
	CHECK(stsenv_tcp_peer_uid_proc(a, NULL) == -1 && errno == ENOENT);
	CHECK(stsenv_tcp_peer_uid_diag(a) == -1);
	close(a);
	close(l);
}

static void test_peeruid_self_ipv4(void)
{
	check_self(AF_INET);
}

static void test_peeruid_self_ipv6(void)
{
	check_self(AF_INET6);
}

/* A dual-stack listener on [::] taking an IPv4 client: the addresses are
 * v4-mapped on our side, plain IPv4 on the client's. */
static void test_peeruid_v4_mapped(void)
{
	struct sockaddr_in6 any = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT};
	struct sockaddr_in to = {.sin_family = AF_INET};
	socklen_t len = sizeof(any);
	int off = 0, l = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0), c, a;

	if (l < 0 || setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) < 0 ||
	    bind(l, (struct sockaddr *)&any, sizeof(any)) < 0 || listen(l, 4) < 0 ||
	    getsockname(l, (struct sockaddr *)&any, &len) < 0) {
		fprintf(stderr, "  (no dual-stack socket: skipped)\n");
		if (l >= 0)
			close(l);
		return;
	}
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	to.sin_port = any.sin6_port;
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(c >= 0 && connect(c, (struct sockaddr *)&to, sizeof(to)) == 0);
	a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	CHECK(a >= 0);
	CHECK(stsenv_tcp_peer_uid(a) == (int64_t)geteuid());
	CHECK(stsenv_tcp_peer_uid_proc(a, NULL) == (int64_t)geteuid());
	if (diag_works(a))
		CHECK(stsenv_tcp_peer_uid_diag(a) == (int64_t)geteuid());
	close(c);
	close(a);
	close(l);
}

/* As root: a client of another uid is that uid, by every lookup. */
static void test_peeruid_other_user(void)
{
	struct sockaddr_storage addr;
	socklen_t len;
	int l, a, go[2], status = 0;
	char byte = 0;
	pid_t pid;

	if (geteuid() != 0) {
		fprintf(stderr, "  (not root: skipped)\n");
		return;
	}
	l = listen_lo(AF_INET, &addr, &len);
	CHECK(l >= 0 && pipe(go) == 0);
	if (l < 0)
		return;
	pid = fork();
	if (pid == 0) {
		int c;

		if (setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
			_exit(2);
		c = connect_to(&addr, len);
		if (c < 0)
			_exit(3);
		close(go[1]);
		/* Holds the connection until the parent has looked. */
		if (read(go[0], &byte, 1) < 0)
			_exit(4);
		_exit(0);
	}
	CHECK(pid > 0);
	close(go[0]);
	a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	CHECK(a >= 0);
	CHECK(stsenv_tcp_peer_uid(a) == NOBODY);
	CHECK(stsenv_tcp_peer_uid_proc(a, NULL) == NOBODY);
	if (diag_works(a))
		CHECK(stsenv_tcp_peer_uid_diag(a) == NOBODY);
	/* Gone, it is nobody's: not root's (0), not nobody's. */
	close(go[1]);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	usleep(20000);
	CHECK(stsenv_tcp_peer_uid(a) == -1 && errno == ENOENT);
	CHECK(stsenv_tcp_peer_uid_proc(a, NULL) == -1);
	close(a);
	close(l);
}

/* ---- /proc/net/tcp as given ---- */

static char fixture_dir[] = "/tmp/test_peeruid.XXXXXX";

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fixture_dir, name);
	if (!text) {
		unlink(path);
		return;
	}
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* A line of /proc/net/tcp as the kernel prints it (net/ipv4/tcp_ipv4.c). */
static int line4(char *buf, size_t len, int sl, struct in_addr la, unsigned lp, struct in_addr ra,
		 unsigned rp, unsigned st, unsigned uid, unsigned long inode)
{
	return snprintf(buf, len,
			"%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %lu %d "
			"%016lX %lu %lu %u %u %d\n",
			sl, la.s_addr, lp, ra.s_addr, rp, st, 0, 0, 0, 0UL, 0, uid, 0, inode, 1,
			0x1234UL, 20UL, 4UL, 30U, 10U, -1);
}

/* The same in tcp6, v4-mapped. */
static int line6(char *buf, size_t len, int sl, struct in_addr la, unsigned lp, struct in_addr ra,
		 unsigned rp, unsigned st, unsigned uid, unsigned long inode)
{
	uint32_t l[4] = {0, 0, 0, 0}, r[4] = {0, 0, 0, 0};
	uint8_t ffff[4] = {0, 0, 0xff, 0xff};

	memcpy(&l[2], ffff, 4);
	memcpy(&r[2], ffff, 4);
	memcpy(&l[3], &la, 4);
	memcpy(&r[3], &ra, 4);
	return snprintf(
		buf, len,
		"%4d: %08X%08X%08X%08X:%04X %08X%08X%08X%08X:%04X %02X %08X:%08X %02X:%08lX "
		"%08X %5u %8d %lu %d %016lX %lu %lu %u %u %d\n",
		sl, l[0], l[1], l[2], l[3], lp, r[0], r[1], r[2], r[3], rp, st, 0, 0, 0, 0UL, 0,
		uid, 0, inode, 1, 0x1234UL, 20UL, 4UL, 30U, 10U, -1);
}

static void test_peeruid_proc_fixture(void)
{
	static const char head4[] = "  sl  local_address rem_address   st tx_queue rx_queue tr "
				    "tm->when retrnsmt   uid  timeout inode\n";
	struct sockaddr_storage addr;
	struct sockaddr_in peer, self;
	socklen_t len, plen = sizeof(peer), slen = sizeof(self);
	char tcp[4096], tcp6[4096], longline[1200];
	struct in_addr any = {0};
	int l = listen_lo(AF_INET, &addr, &len), c, a, n;
	unsigned pp, sp;

	CHECK(mkdtemp(fixture_dir) != NULL);
	c = connect_to(&addr, len);
	a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	CHECK(c >= 0 && a >= 0);
	CHECK(getpeername(a, (struct sockaddr *)&peer, &plen) == 0);
	CHECK(getsockname(a, (struct sockaddr *)&self, &slen) == 0);
	pp = ntohs(peer.sin_port);
	sp = ntohs(self.sin_port);

	/* The right line among decoys: the listener, our own end (the
	 * reverse tuple), a TIME_WAIT and an orphan of the same tuple (uid
	 * 0, inode 0), garbage, a line too long for the buffer. */
	memset(longline, 'x', sizeof(longline) - 2);
	longline[sizeof(longline) - 2] = '\n';
	longline[sizeof(longline) - 1] = '\0';
	n = snprintf(tcp, sizeof(tcp), "%s", head4);
	n += line4(tcp + n, sizeof(tcp) - (size_t)n, 0, self.sin_addr, sp, any, 0, 0x0A, 0, 100);
	n += line4(tcp + n, sizeof(tcp) - (size_t)n, 1, self.sin_addr, sp, peer.sin_addr, pp, 1, 1,
		   101);
	n += line4(tcp + n, sizeof(tcp) - (size_t)n, 2, peer.sin_addr, pp, self.sin_addr, sp, 6, 0,
		   0);
	n += line4(tcp + n, sizeof(tcp) - (size_t)n, 3, peer.sin_addr, pp, self.sin_addr, sp, 5, 0,
		   0);
	n += snprintf(tcp + n, sizeof(tcp) - (size_t)n, "   4: garbage\n%s   5: 0100007F:zz\n",
		      longline);
	n += line4(tcp + n, sizeof(tcp) - (size_t)n, 6, peer.sin_addr, pp, self.sin_addr, sp, 1,
		   4242, 102);
	write_file("tcp", tcp);
	write_file("tcp6", "  sl  local_address remote_address st\n");
	CHECK(stsenv_tcp_peer_uid_proc(a, fixture_dir) == 4242);

	/* Only the decoys in tcp; the client is dual-stack, in tcp6. */
	n = snprintf(tcp, sizeof(tcp), "%s", head4);
	n += line4(tcp + n, sizeof(tcp) - (size_t)n, 0, peer.sin_addr, pp, self.sin_addr, sp, 6, 0,
		   0);
	write_file("tcp", tcp);
	n = snprintf(tcp6, sizeof(tcp6), "  sl  local_address remote_address\n");
	line6(tcp6 + n, sizeof(tcp6) - (size_t)n, 0, peer.sin_addr, pp, self.sin_addr, sp, 1, 777,
	      103);
	write_file("tcp6", tcp6);
	CHECK(stsenv_tcp_peer_uid_proc(a, fixture_dir) == 777);

	/* Not there, one file missing (no IPv6), both missing. */
	write_file("tcp6", NULL);
	errno = 0;
	CHECK(stsenv_tcp_peer_uid_proc(a, fixture_dir) == -1 && errno == ENOENT);
	write_file("tcp", NULL);
	errno = 0;
	CHECK(stsenv_tcp_peer_uid_proc(a, fixture_dir) == -1 && errno == ENOENT);
	/* A port beyond 16 bits is no match for its low bits. */
	n = snprintf(tcp, sizeof(tcp), "%s", head4);
	snprintf(tcp + n, sizeof(tcp) - (size_t)n,
		 "   0: %08X:%05X %08X:%04X 01 00000000:00000000 00:00000000 00000000  4242 0 102 "
		 "1\n",
		 peer.sin_addr.s_addr, pp + 0x10000, self.sin_addr.s_addr, sp);
	write_file("tcp", tcp);
	CHECK(stsenv_tcp_peer_uid_proc(a, fixture_dir) == -1);
	write_file("tcp", NULL);
	CHECK(rmdir(fixture_dir) == 0);
	close(c);
	close(a);
	close(l);
}

/* ---- what is not a loopback TCP connection ---- */

static void test_peeruid_refused(void)
{
	struct sockaddr_storage addr;
	socklen_t len;
	int p[2], sv[2], l = listen_lo(AF_INET, &addr, &len), u;
	struct sockaddr_in lo = {.sin_family = AF_INET};

	errno = 0;
	CHECK(stsenv_tcp_peer_uid(-1) == -1 && errno == EBADF);
	CHECK(pipe(p) == 0);
	errno = 0;
	CHECK(stsenv_tcp_peer_uid(p[0]) == -1 && errno == ENOTSOCK);
	close(p[0]);
	close(p[1]);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	errno = 0;
	CHECK(stsenv_tcp_peer_uid(sv[0]) == -1 && errno == EAFNOSUPPORT);
	close(sv[0]);
	close(sv[1]);
	/* A listener has no peer. */
	errno = 0;
	CHECK(stsenv_tcp_peer_uid(l) == -1 && errno == ENOTCONN);
	/* A connected UDP socket is not TCP. */
	u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lo.sin_port = htons(9);
	CHECK(u >= 0 && connect(u, (struct sockaddr *)&lo, sizeof(lo)) == 0);
	errno = 0;
	CHECK(stsenv_tcp_peer_uid(u) == -1 && errno == EPROTONOSUPPORT);
	close(u);
	close(l);
}

/* Nothing leaks: no descriptor left behind by a lookup. */
static void test_peeruid_no_fd_leak(void)
{
	struct sockaddr_storage addr;
	socklen_t len;
	int l = listen_lo(AF_INET, &addr, &len), c = connect_to(&addr, len);
	int a = accept4(l, NULL, NULL, SOCK_CLOEXEC), probe, next;

	probe = open("/dev/null", O_RDONLY | O_CLOEXEC);
	close(probe);
	for (int i = 0; i < 200; i++) {
		CHECK(stsenv_tcp_peer_uid(a) == (int64_t)geteuid());
		stsenv_tcp_peer_uid_proc(a, NULL);
		stsenv_tcp_peer_uid_diag(a);
	}
	next = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CHECK(next == probe);
	close(next);
	close(c);
	close(a);
	close(l);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	RUN(test_peeruid_self_ipv4);
	RUN(test_peeruid_self_ipv6);
	RUN(test_peeruid_v4_mapped);
	RUN(test_peeruid_other_user);
	RUN(test_peeruid_proc_fixture);
	RUN(test_peeruid_refused);
	RUN(test_peeruid_no_fd_leak);
	UNIT_EXIT();
}
