/* The tree's credentials endpoint: HTTP on 127.0.0.1, in the format of a
 * credentials URI (core/credhttp.h), for the SDKs whose default chains
 * refresh by themselves (core/delivery.h).
 *
 * It answers from the tree's page, never from the source: a thousand
 * requests a second cost the source nothing, and a source that fails is
 * not hammered through it.  The path holds 128 random bits, since SDKs
 * send no header; and the peer of every connection must have the keeper's
 * uid (the kernel says whose socket it is, core/peeruid.h).  Anything
 * else is refused without a reason.  Every connection is bounded in size
 * and time, and there are at most ENDPOINT_CONNS of them: a slow or
 * flooding client costs a slot, never the keeper's refresh, which runs in
 * another thread, nor a reader, which reads the page. */
#ifndef STSENV_ENDPOINT_H
#define STSENV_ENDPOINT_H

#include "../core/err.h"
#include "../core/page.h"

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#define ENDPOINT_CONNS	     256
#define ENDPOINT_HEAD_MAX    4096
#define ENDPOINT_DEADLINE_MS 2000
#define ENDPOINT_SLOW_MS     100 /* a head not complete by then: a slow client */

struct endpoint_conn;

struct endpoint {
	int listen_fd;
	char url[STSENV_PAGE_ENDPOINT_MAX]; /* http://127.0.0.1:PORT/CAP */
	char path[40];			    /* /CAP */
	const struct stsenv_page_view *view;
	const struct stsenv_snap *snap; /* the page's, last read */
	struct endpoint_conn *conns;	/* ENDPOINT_CONNS of them */
	int nconns;
	uint64_t answered, refused;
};

/* Listens on 127.0.0.1 (port 0: any free one) with a new capability path;
 * ep->url is then set.  -1 with err set. */
int endpoint_listen(struct endpoint *ep, int port, struct stsenv_err *err);

/* Starts serving the page on fd (mapped read-only here). */
int endpoint_attach(struct endpoint *ep, int page_fd, uint64_t fingerprint, struct stsenv_err *err);

/* The descriptors to poll (at most ENDPOINT_CONNS + 1 into fds), and the
 * wait before the nearest deadline. */
int endpoint_fds(struct endpoint *ep, struct pollfd *fds, int *timeout_ms);

/* Handles what poll reported for the n descriptors endpoint_fds gave. */
void endpoint_serve(struct endpoint *ep, const struct pollfd *fds, int n);

#endif
