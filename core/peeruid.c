/* The owner of a loopback TCP peer: the peer's socket is one of ours (the
 * host's), found by its 4-tuple as the peer sees it, first with one exact
 * sock_diag request, else in /proc/net/tcp{,6} (netlink may be filtered
 * by seccomp or missing in some sandboxes).
 *
 * Both report a socket that no process holds any more (an orphan after
 * close, a TIME_WAIT or FIN_WAIT2 mini-socket) with uid 0 on many kernels,
 * since they read the owner off the socket's inode: such a socket has
 * inode 0, and is not taken for root's. */
#include "peeruid.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DIAG_WAIT_MS 100

/* TCP states (include/net/tcp_states.h) that no process owns. */
#define ST_TIME_WAIT 6
#define ST_LISTEN    10

/* The peer's socket as the peer sees it: src is its local end, dst ours.
 * Addresses are IPv6, IPv4 as v4-mapped, so that an IPv4 client and a
 * dual-stack one compare alike. */
struct tuple {
	uint8_t src[16], dst[16];
	uint16_t sport, dport; /* host order */
	bool v4;
};

static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
static const uint8_t v6_loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

static void map_v4(uint8_t out[16], const void *v4)
{
	memcpy(out, v4_mapped, 12);
	memcpy(out + 12, v4, 4);
}

/* Address and port of a sockaddr, IPv4 mapped; false if not IP. */
static bool ip_of(const struct sockaddr_storage *ss, uint8_t addr[16], uint16_t *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		map_v4(addr, &in->sin_addr);
		*port = ntohs(in->sin_port);
		return true;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

		memcpy(addr, &in6->sin6_addr, 16);
		*port = ntohs(in6->sin6_port);
		return true;
	}
	return false;
}

static bool is_loopback(const uint8_t a[16])
{
	return (memcmp(a, v4_mapped, 12) == 0 && a[12] == 127) || memcmp(a, v6_loopback, 16) == 0;
}

/* The tuple of fd's peer, or -1 with errno set. */
static int peer_tuple(int fd, struct tuple *t)
{
	struct sockaddr_storage self, peer;
	socklen_t slen = sizeof(self), plen = sizeof(peer), olen;
	int type = 0, proto = 0;

	olen = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &olen) < 0)
		return -1;
	olen = sizeof(proto);
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &olen) < 0)
		return -1;
	if (getsockname(fd, (struct sockaddr *)&self, &slen) < 0 ||
	    getpeername(fd, (struct sockaddr *)&peer, &plen) < 0)
		return -1;
	memset(t, 0, sizeof(*t));
	if (!ip_of(&peer, t->src, &t->sport) || !ip_of(&self, t->dst, &t->dport)) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (type != SOCK_STREAM || proto != IPPROTO_TCP) {
		errno = EPROTONOSUPPORT;
		return -1;
	}
	t->v4 = memcmp(t->src, v4_mapped, 12) == 0;
	if (!is_loopback(t->src) || !is_loopback(t->dst) ||
	    t->v4 != (memcmp(t->dst, v4_mapped, 12) == 0)) {
		errno = EADDRNOTAVAIL;
		return -1;
	}
	return 0;
}

static bool same_end(const uint8_t a[16], uint16_t aport, const uint8_t b[16], uint16_t bport)
{
	return aport == bport && memcmp(a, b, 16) == 0;
}

/* ---- sock_diag ---- */

static int64_t ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)(deadline->tv_sec - now.tv_sec) * 1000 +
	       (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/* The uid of one inet_diag_msg if it is the peer's socket, held by a
 * process; else -1 (errno ENOENT). */
static int64_t diag_answer(const struct inet_diag_msg *m, const struct tuple *t)
{
	uint8_t src[16], dst[16];

	if (m->idiag_family == AF_INET) {
		map_v4(src, &m->id.idiag_src[0]);
		map_v4(dst, &m->id.idiag_dst[0]);
	} else {
		/* A dual-stack client's socket: AF_INET6, v4-mapped. */
		memcpy(src, m->id.idiag_src, 16);
		memcpy(dst, m->id.idiag_dst, 16);
	}
	if (!same_end(src, ntohs(m->id.idiag_sport), t->src, t->sport) ||
	    !same_end(dst, ntohs(m->id.idiag_dport), t->dst, t->dport) || m->idiag_inode == 0 ||
	    m->idiag_state == ST_TIME_WAIT || m->idiag_state == ST_LISTEN) {
		errno = ENOENT;
		return -1;
	}
	return (int64_t)m->idiag_uid;
}

/* Reads the kernel's answer to request seq on s, 100 ms at most. */
#define DIAG_MORE (-2) /* no answer to our request in these messages */

/* The answer to request seq among n bytes of netlink messages. */
static int64_t diag_messages(const char *buf, size_t n, uint32_t seq, const struct tuple *t)
{
	for (size_t off = 0; off + sizeof(struct nlmsghdr) <= n;) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)(buf + off);

		if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > n - off)
			break;
		off += NLMSG_ALIGN(h->nlmsg_len);
		if (h->nlmsg_seq != seq)
			continue;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				errno = EPROTO;
			else
				errno = e->error < 0 ? -e->error : ENOENT;
			return -1;
		}
		if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
		    h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
			return diag_answer(NLMSG_DATA(h), t);
		if (h->nlmsg_type == NLMSG_DONE) {
			errno = ENOENT;
			return -1;
		}
	}
	return DIAG_MORE;
}

static int64_t diag_recv(int s, uint32_t seq, const struct tuple *t)
{
	_Alignas(struct nlmsghdr) char buf[8192];
	struct timespec deadline;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_nsec += DIAG_WAIT_MS * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	for (;;) {
		struct sockaddr_nl from;
		socklen_t flen = sizeof(from);
		struct pollfd p = {.fd = s, .events = POLLIN};
		int64_t left = ms_left(&deadline), uid;
		ssize_t n;

		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (poll(&p, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		n = recvfrom(s, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC,
			     (struct sockaddr *)&from, &flen);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -1;
		}
		if ((size_t)n > sizeof(buf)) {
			errno = EMSGSIZE;
			return -1;
		}
		if (flen < sizeof(from) || from.nl_pid != 0)
			continue; /* not from the kernel */
		if ((uid = diag_messages(buf, (size_t)n, seq, t)) != DIAG_MORE)
			return uid;
	}
}

static int64_t diag_lookup(const struct tuple *t)
{
	const uint32_t seq = 1; /* a socket of its own: nothing else answers on it */
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	struct {
		struct nlmsghdr h;
		struct inet_diag_req_v2 r;
	} req;
	int64_t uid;
	int s, e;

	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(req.r));
	req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.h.nlmsg_flags = NLM_F_REQUEST; /* one socket, no NLM_F_DUMP */
	req.h.nlmsg_seq = seq;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = ~0U;
	req.r.id.idiag_sport = htons(t->sport);
	req.r.id.idiag_dport = htons(t->dport);
	req.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (t->v4) {
		/* The kernel's IPv4 lookup also finds a dual-stack client. */
		req.r.sdiag_family = AF_INET;
		memcpy(&req.r.id.idiag_src[0], t->src + 12, 4);
		memcpy(&req.r.id.idiag_dst[0], t->dst + 12, 4);
	} else {
		req.r.sdiag_family = AF_INET6;
		memcpy(req.r.id.idiag_src, t->src, 16);
		memcpy(req.r.id.idiag_dst, t->dst, 16);
	}

	s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_SOCK_DIAG);
	if (s < 0)
		return -1;
	if (sendto(s, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		uid = -1;
	else
		uid = diag_recv(s, seq, t);
	e = errno;
	close(s);
	errno = e;
	return uid;
}

/* ---- /proc/net/tcp ---- */

/* An address as /proc/net/tcp{,6} prints it: 8 or 32 hex digits, each
 * 32-bit word of the address (network order) printed as a native int. */
static bool proc_addr(const char *hex, uint8_t out[16])
{
	size_t n = strlen(hex);
	uint32_t w[4];
	char word[9];

	if (n != 8 && n != 32)
		return false;
	for (size_t i = 0; i < n / 8; i++) {
		memcpy(word, hex + 8 * i, 8);
		word[8] = '\0';
		w[i] = (uint32_t)strtoul(word, NULL, 16);
	}
	if (n == 8)
		map_v4(out, &w[0]);
	else
		memcpy(out, w, 16);
	return true;
}

/* Scans one file; 1 and *uid if the peer's socket is there and held by a
 * process, 0 if not, -1 if the file cannot be read. */
static int proc_scan(const char *path, const struct tuple *t, int64_t *uid)
{
	char line[512], la[40], ra[40];
	bool partial = false;
	FILE *f = fopen(path, "re");
	int found = 0;

	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned lport, rport, st, u;
		unsigned long inode;
		uint8_t local[16], remote[16];
		bool tail = partial;

		/* The rest of a line longer than the buffer is no line. */
		partial = !strchr(line, '\n') && !feof(f);
		if (tail)
			continue;
		if (sscanf(line,
			   " %*u: %39[0-9A-Fa-f]:%x %39[0-9A-Fa-f]:%x %x %*x:%*x %*x:%*x %*x %u "
			   "%*d %lu",
			   la, &lport, ra, &rport, &st, &u, &inode) != 7 ||
		    !proc_addr(la, local) || !proc_addr(ra, remote))
			continue;
		if (lport <= 0xffff && rport <= 0xffff &&
		    same_end(local, (uint16_t)lport, t->src, t->sport) &&
		    same_end(remote, (uint16_t)rport, t->dst, t->dport) && inode != 0 &&
		    st != ST_TIME_WAIT && st != ST_LISTEN) {
			*uid = (int64_t)u;
			found = 1;
		}
	}
	fclose(f);
	return found;
}

static int64_t proc_lookup(const struct tuple *t, const char *dir)
{
	char path[4096];
	int64_t uid = -1;
	int r4 = -1, r6;

	if (!dir)
		dir = "/proc/net";
	if (strlen(dir) > sizeof(path) - 8) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* An IPv4 client is in tcp, a dual-stack one in tcp6 (v4-mapped). */
	if (t->v4) {
		snprintf(path, sizeof(path), "%s/tcp", dir);
		if ((r4 = proc_scan(path, t, &uid)) == 1)
			return uid;
	}
	snprintf(path, sizeof(path), "%s/tcp6", dir);
	if ((r6 = proc_scan(path, t, &uid)) == 1)
		return uid;
	/* Read and not there; else errno is fopen's (no tcp6 without IPv6). */
	if (r4 == 0 || r6 == 0)
		errno = ENOENT;
	return -1;
}

/* ---- the lookups ---- */

int64_t stsenv_tcp_peer_uid_diag(int fd)
{
	int saved = errno;
	struct tuple t;
	int64_t uid;

	if (peer_tuple(fd, &t) < 0 || (uid = diag_lookup(&t)) < 0)
		return -1;
	errno = saved;
	return uid;
}

int64_t stsenv_tcp_peer_uid_proc(int fd, const char *dir)
{
	int saved = errno;
	struct tuple t;
	int64_t uid;

	if (peer_tuple(fd, &t) < 0 || (uid = proc_lookup(&t, dir)) < 0)
		return -1;
	errno = saved;
	return uid;
}

int64_t stsenv_tcp_peer_uid(int fd)
{
	int saved = errno;
	struct tuple t;
	int64_t uid;

	if (peer_tuple(fd, &t) < 0)
		return -1;
	uid = diag_lookup(&t);
	if (uid < 0)
		uid = proc_lookup(&t, NULL);
	if (uid < 0)
		return -1;
	errno = saved;
	return uid;
}
