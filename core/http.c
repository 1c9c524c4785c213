#include "http.h"

#include "cred.h"
#include "strbuf.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <stdatomic.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* DEEPBIND: libcurl and the libssl/libcrypto it pulls in must bind to one
 * another, not to same-named symbols the host already exports.  Node.js
 * exports its own, statically linked OpenSSL: without it, the system
 * libssl called into Node's libcrypto, and Node crashed.  The sanitizers
 * refuse RTLD_DEEPBIND, so their builds go without. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define DEEPBIND 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define DEEPBIND 0
#endif
#endif
#ifndef DEEPBIND
#define DEEPBIND RTLD_DEEPBIND
#endif

/* The handful of libcurl entry points we use, resolved once. */
static struct {
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	char load_error[200];
} curl;

/* 0: not loaded, 1: being loaded (by loader_pid), 2: ready.  A failed load
 * is tried again at the next fetch: a dlopen that failed for want of memory
 * must not disable fetching for the life of the process.  No lock, so that
 * a fork while another thread loads cannot leave the child stuck. */
static atomic_int curl_state;
static atomic_int loader_pid;

static void load_curl(void)
{
	/* NODELETE: a handle of ours may be alive in another thread, and the
	 * host program may have loaded the same library for its own use. */
	void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE | DEEPBIND);
	const char *e;

	if (!h) {
		e = dlerror();
		snprintf(curl.load_error, sizeof(curl.load_error),
			 "cannot load libcurl.so.4 (Debian package libcurl4): %s", e ? e : "?");
		return;
	}
#define SYM(field, name)                                                                           \
	do {                                                                                       \
		*(void **)&curl.field = dlsym(h, name);                                            \
		if (!curl.field) {                                                                 \
			snprintf(curl.load_error, sizeof(curl.load_error),                         \
				 "libcurl.so.4 has no %s", name);                                  \
			curl.easy_init = NULL;                                                     \
			return;                                                                    \
		}                                                                                  \
	} while (0)
	SYM(global_init, "curl_global_init");
	SYM(easy_setopt, "curl_easy_setopt");
	SYM(easy_perform, "curl_easy_perform");
	SYM(easy_getinfo, "curl_easy_getinfo");
	SYM(easy_cleanup, "curl_easy_cleanup");
	SYM(easy_strerror, "curl_easy_strerror");
	SYM(slist_append, "curl_slist_append");
	SYM(slist_free_all, "curl_slist_free_all");
	SYM(easy_init, "curl_easy_init");
#undef SYM
	if (curl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(curl.load_error, sizeof(curl.load_error), "curl_global_init failed");
		curl.easy_init = NULL;
	}
}

static int ensure_curl(struct stsenv_err *err)
{
	int state = atomic_load(&curl_state), pid = (int)getpid();

	if (state == 2)
		return 0;
	if (state == 1 && atomic_load(&loader_pid) != pid) /* the loader was in our parent */
		atomic_compare_exchange_strong(&curl_state, &state, 0);
	state = 0;
	if (!atomic_compare_exchange_strong(&curl_state, &state, 1)) {
		stsenv_err_set(err, "libcurl is being loaded by another thread");
		return -1;
	}
	atomic_store(&loader_pid, pid);
	curl.load_error[0] = '\0';
	load_curl();
	if (curl.easy_init) {
		atomic_store(&curl_state, 2);
		return 0;
	}
	stsenv_err_set(err, "%s", curl.load_error);
	atomic_store(&curl_state, 0);
	return -1;
}

struct sink {
	char *buf;
	size_t len, cap, max;
	bool overflow;
};

static size_t on_data(char *data, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t add = size * n;

	if (s->len + add > s->max) {
		s->overflow = true;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	if (s->len + add + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		char *nb;
		while (cap < s->len + add + 1)
			cap *= 2;
		nb = realloc(s->buf, cap);
		if (!nb)
			return 0;
		s->buf = nb;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, add);
	s->len += add;
	s->buf[s->len] = '\0';
	return add;
}

/* Every socket we open is close-on-exec: a kept-alive connection must not
 * leak into the programs the host starts. */
static curl_socket_t open_cloexec(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	(void)arg;
	(void)purpose;
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

void stsenv_http_resp_free(struct stsenv_http_resp *r)
{
	if (r->body) {
		explicit_bzero(r->body, r->len);
		free(r->body);
		r->body = NULL;
	}
}

/* The request's options on h: limits, our sink, no signals, no redirects,
 * no proxy for a loopback or metadata address. */
static void set_options(CURL *h, const struct stsenv_http_req *req, struct curl_slist *hdrs,
			struct sink *sink, char *errbuf)
{
	const char *method = req->method ? req->method : "GET";

	curl.easy_setopt(h, CURLOPT_URL, req->url);
	curl.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl.easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)req->timeout_ms);
	curl.easy_setopt(
		h, CURLOPT_CONNECTTIMEOUT_MS,
		(long)(req->connect_timeout_ms ? req->connect_timeout_ms : req->timeout_ms));
	curl.easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_cloexec);
	curl.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl.easy_setopt(h, CURLOPT_WRITEDATA, sink);
	curl.easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl.easy_setopt(h, CURLOPT_USERAGENT, "stsenv/" STSENV_VERSION);
	curl.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	if (stsenv_url_is_local(req->url))
		curl.easy_setopt(h, CURLOPT_PROXY, ""); /* "" disables every proxy */
	if (hdrs)
		curl.easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
		curl.easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		if (strcmp(method, "PUT") == 0)
			curl.easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
	}
}

static void transfer_error(CURLcode rc, const struct sink *sink, const char *errbuf,
			   const struct stsenv_http_req *req, struct stsenv_err *err)
{
	if (sink->overflow)
		stsenv_err_set(err, "response larger than %zu bytes", sink->max);
	else if (rc == CURLE_OPERATION_TIMEDOUT)
		stsenv_err_set(err, "timed out after %lld ms", (long long)req->timeout_ms);
	else
		/* curl's detail names host and port, never the query. */
		stsenv_err_set(err, "%s", errbuf[0] ? errbuf : curl.easy_strerror(rc));
}

int stsenv_http_do(const struct stsenv_http_req *req, struct stsenv_http_resp *resp,
		   struct stsenv_err *err)
{
	struct sink sink = {.max = req->max_body ? req->max_body : STSENV_MAX_BODY};
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	CURLcode rc;
	CURL *h;

	memset(resp, 0, sizeof(*resp));
	if (ensure_curl(err) < 0)
		return -1;
	h = curl.easy_init();
	if (!h) {
		stsenv_err_set(err, "curl_easy_init failed");
		return -1;
	}
	for (const char *const *hp = req->headers; hp && *hp; hp++) {
		struct curl_slist *n = curl.slist_append(hdrs, *hp);
		if (!n) {
			stsenv_err_set(err, "out of memory");
			goto fail;
		}
		hdrs = n;
	}
	set_options(h, req, hdrs, &sink, errbuf);
	rc = curl.easy_perform(h);
	if (rc != CURLE_OK) {
		transfer_error(rc, &sink, errbuf, req, err);
		goto fail;
	}
	curl.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	resp->body = sink.buf ? sink.buf : calloc(1, 1);
	resp->len = sink.len;
	if (!resp->body) {
		stsenv_err_set(err, "out of memory");
		goto fail;
	}
	curl.slist_free_all(hdrs);
	curl.easy_cleanup(h);
	return 0;
fail:
	free(sink.buf);
	curl.slist_free_all(hdrs);
	curl.easy_cleanup(h);
	return -1;
}
