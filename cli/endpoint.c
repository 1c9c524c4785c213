#include "endpoint.h"

#include "../core/clock.h"
#include "../core/credhttp.h"
#include "../core/httpreq.h"
#include "../core/peeruid.h"
#include "../core/strbuf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct endpoint_conn {
	int fd;
	int64_t deadline; /* monotonic ms */
	size_t got;
	char *in;  /* ENDPOINT_HEAD_MAX bytes */
	char *out; /* the response, once there is one */
	size_t out_len, out_off;
};

int endpoint_listen(struct endpoint *ep, int port, struct stsenv_err *err)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	socklen_t alen = sizeof(a);
	char cap[33];
	int fd;

	memset(ep, 0, sizeof(*ep));
	ep->listen_fd = -1;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!stsenv_random_hex(cap, 32)) {
		stsenv_err_set(err, "no random bytes for the endpoint: %s", strerror(errno));
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 1024) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) < 0) {
		stsenv_err_set(err, "cannot listen on 127.0.0.1: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!(ep->conns = calloc(ENDPOINT_CONNS, sizeof(*ep->conns)))) {
		close(fd);
		stsenv_err_set(err, "out of memory");
		return -1;
	}
	ep->listen_fd = fd;
	snprintf(ep->path, sizeof(ep->path), "/%s", cap);
	snprintf(ep->url, sizeof(ep->url), "http://127.0.0.1:%u%s", ntohs(a.sin_port), ep->path);
	return 0;
}

int endpoint_attach(struct endpoint *ep, int page_fd, uint64_t fingerprint, struct stsenv_err *err)
{
	ep->view = stsenv_page_map(page_fd, fingerprint, err);
	return ep->view ? 0 : -1;
}

static void drop(struct endpoint *ep, int i)
{
	struct endpoint_conn *c = &ep->conns[i];
	char sink[512];

	/* What the client sent beyond its head, read first: closing over
	 * unread bytes resets the connection, and the answer with it. */
	while (read(c->fd, sink, sizeof(sink)) > 0)
		;
	close(c->fd);
	free(c->in);
	if (c->out) {
		explicit_bzero(c->out, c->out_len);
		free(c->out);
	}
	ep->conns[i] = ep->conns[--ep->nconns];
}

/* The page's newest credential (a copy of its own, from the page). */
static const struct stsenv_snap *current(struct endpoint *ep)
{
	const struct stsenv_snap *s;
	bool corrupt;

	if (!ep->view)
		return NULL;
	s = stsenv_page_snapshot(ep->view, ep->snap ? ep->snap->generation : UINT64_MAX,
				 stsenv_real_ms(), stsenv_mono_ms(), ep->snap, NULL, &corrupt);
	if (s)
		ep->snap = s;
	return ep->snap;
}

static void respond(struct endpoint *ep, struct endpoint_conn *c, bool ok)
{
	size_t cap = ok ? STSENV_CREDHTTP_MAX : 256;

	if (!(c->out = malloc(cap)))
		return;
	c->out_len = ok ? stsenv_credhttp_answer(current(ep), stsenv_real_ms(), c->out, cap)
			: stsenv_credhttp_refusal(c->out, cap);
	c->out_off = 0;
	if (ok)
		ep->answered++;
	else
		ep->refused++;
}

static void on_readable(struct endpoint *ep, struct endpoint_conn *c)
{
	struct stsenv_httpreq rq;
	ssize_t n;
	int rc;

	if (!c->in && !(c->in = malloc(ENDPOINT_HEAD_MAX)))
		return;
	n = read(c->fd, c->in + c->got, ENDPOINT_HEAD_MAX - c->got);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			c->deadline = 0; /* gone: dropped below */
		return;
	}
	c->got += (size_t)n;
	rc = stsenv_httpreq_parse(c->in, c->got, ENDPOINT_HEAD_MAX, &rq);
	if (rc == STSENV_HTTPREQ_MORE)
		return;
	respond(ep, c,
		rc == STSENV_HTTPREQ_OK && strcmp(rq.method, "GET") == 0 &&
			strcmp(rq.target, ep->path) == 0 && !rq.has_body);
}

static bool on_writable(struct endpoint_conn *c)
{
	ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);

	if (n > 0)
		c->out_off += (size_t)n;
	return n < 0 && errno != EAGAIN && errno != EINTR ? true : c->out_off == c->out_len;
}

/* The oldest connection still sending its head after ENDPOINT_SLOW_MS:
 * the one a new client may take the place of when all are in use (a slow
 * client loses its slot to a fresh one, never the other way round; a
 * client sends its request as soon as it is connected).  -1 if none; *wait
 * then says when the oldest one becomes slow. */
static int slow_reader(const struct endpoint *ep, int64_t now, int64_t *wait)
{
	int best = -1;

	for (int i = 0; i < ep->nconns; i++)
		if (!ep->conns[i].out &&
		    (best < 0 || ep->conns[i].deadline < ep->conns[best].deadline))
			best = i;
	if (best < 0)
		return -1;
	*wait = ep->conns[best].deadline - ENDPOINT_DEADLINE_MS + ENDPOINT_SLOW_MS - now;
	return *wait <= 0 ? best : -1;
}

static void on_accept(struct endpoint *ep)
{
	for (int k = 0; k < 64; k++) {
		int64_t wait = ENDPOINT_SLOW_MS;
		int victim = -1, fd;

		/* All in use: a slow one makes room, or the rest wait in the
		 * kernel's backlog for a slot. */
		if (ep->nconns == ENDPOINT_CONNS &&
		    (victim = slow_reader(ep, stsenv_mono_ms(), &wait)) < 0)
			return;
		if ((fd = accept4(ep->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) < 0)
			return;
		/* Only the keeper's own user: whose socket the peer is, the
		 * kernel says.  Anyone else hears nothing. */
		if (stsenv_tcp_peer_uid(fd) != (int64_t)geteuid()) {
			ep->refused++;
			close(fd);
			continue;
		}
		if (victim >= 0)
			drop(ep, victim);
		ep->conns[ep->nconns++] = (struct endpoint_conn){
			.fd = fd, .deadline = stsenv_mono_ms() + ENDPOINT_DEADLINE_MS};
	}
}

int endpoint_fds(struct endpoint *ep, struct pollfd *fds, int *timeout_ms)
{
	int64_t now = stsenv_mono_ms(), wait = 0;

	fds[0] = (struct pollfd){ep->listen_fd, POLLIN, 0};
	/* Full, and nobody slow to make room: new clients wait in the backlog,
	 * and poll must not report the listener ready meanwhile. */
	if (ep->nconns == ENDPOINT_CONNS && slow_reader(ep, now, &wait) < 0) {
		fds[0].events = 0;
		if (wait < *timeout_ms)
			*timeout_ms = wait < 1 ? 1 : (int)wait;
	}
	for (int i = 0; i < ep->nconns; i++) {
		struct endpoint_conn *c = &ep->conns[i];
		int64_t left = c->deadline - now;

		fds[1 + i] = (struct pollfd){c->fd, c->out ? POLLOUT : POLLIN, 0};
		if (left < *timeout_ms)
			*timeout_ms = left < 0 ? 0 : (int)left;
	}
	return 1 + ep->nconns;
}

void endpoint_serve(struct endpoint *ep, const struct pollfd *fds, int n)
{
	int64_t now = stsenv_mono_ms();

	/* Backwards: drop() moves the last connection into the freed slot. */
	for (int i = n - 2; i >= 0; i--) {
		struct endpoint_conn *c = &ep->conns[i];
		short ev = fds[1 + i].revents;

		if (fds[1 + i].fd != c->fd)
			continue;
		if (!c->out && (ev & (POLLIN | POLLHUP | POLLERR)))
			on_readable(ep, c);
		if (c->out && on_writable(c))
			c->deadline = 0;
		if (c->deadline <= now)
			drop(ep, i);
	}
	if (fds[0].revents & POLLIN)
		on_accept(ep);
}
