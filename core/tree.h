/* How the processes of a tree reach its keeper (page.h has the trust
 * model).  STSENV_TREE names the keeper's pid and an abstract unix socket
 * ("v1:PID:NAME"); a process connects and gets a read-only-sealed
 * descriptor of the page, which it maps and closes.  Nothing of ours is
 * inherited: a program that closes every descriptor (CPython's subprocess
 * does) still reaches the tree, and none of its descriptors change.
 *
 * The keeper answers only peers with its own uid and gid (SO_PEERCRED);
 * a client talks only to the pid named in STSENV_TREE with its own uid.
 * The client side uses nothing but system calls: it runs in vfork
 * children and signal handlers. */
#ifndef STSENV_TREE_H
#define STSENV_TREE_H

#include "cred.h"
#include "desc.h"
#include "err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define STSENV_TREE_VAR	 "STSENV_TREE"
#define STSENV_TREE_NAME 32 /* hex digits of the socket name */
#define STSENV_TREE_MAX	 (3 + 10 + 1 + STSENV_TREE_NAME + 1)
/* The tree of a process without a source: no keeper (pid 0, which no parse
 * accepts).  Handed only to children that load the preload, so they stay
 * quiet about what their first process said. */
#define STSENV_TREE_NONE "v1:0:00000000000000000000000000000000"
/* The tree of a process whose keeper could not be started: it has said
 * why, once; its children stay quiet and do not try again. */
#define STSENV_TREE_FAILED "v1:0:ffffffffffffffffffffffffffffffff"

struct stsenv_tree {
	pid_t keeper;
	char name[STSENV_TREE_NAME + 1];
};

bool stsenv_tree_parse(const char *s, struct stsenv_tree *t);
void stsenv_tree_format(const struct stsenv_tree *t, char *buf, size_t len);

/* A fresh random name (getrandom); false if the kernel gives none. */
bool stsenv_tree_new_name(char name[STSENV_TREE_NAME + 1]);

/* The keeper's listening socket (close-on-exec), or -1 with err set. */
int stsenv_tree_listen(const char *name, struct stsenv_err *err);

/* Accepts one connection on fd and answers it: the page descriptor for a
 * peer with our uid and gid, a refusal otherwise.  Blocks in accept. */
void stsenv_tree_answer(int listen_fd, int page_fd);

/* Asks the keeper of t for the page: a close-on-exec descriptor, or -1
 * with errno ECONNREFUSED (no keeper), EACCES (refused, or the socket is
 * not the keeper's) or ETIMEDOUT. */
int stsenv_tree_get_page(const struct stsenv_tree *t, int64_t timeout_ms);

/* ---- a root and its keeper ----------------------------------------------
 * A process that starts a tree under plain LD_PRELOAD runs a keeper for it
 * (`stsenv keep`) and hands it, over a socketpair, what selection decided
 * and the settings; then, optionally, a credential it holds already, which
 * the keeper adopts instead of asking the source for the same one again. */

struct stsenv_keep_request {
	char name[STSENV_TREE_NAME + 1]; /* the socket to listen on */
	int64_t margin_ms, timeout_ms;
	int log_level;
	char log_file[1024];
	struct stsenv_desc desc;
};

/* The largest request a keeper takes. */
#define STSENV_KEEP_REQUEST_MAX (64 * 1024)

/* Packed request, ready to send; 0 if buf is too small. */
size_t stsenv_keep_request_pack(const struct stsenv_keep_request *r, char *buf, size_t len);
size_t stsenv_keep_request_packed_len(const struct stsenv_keep_request *r);
bool stsenv_keep_request_unpack(struct stsenv_keep_request *r, const char *buf, size_t len);

/* Sends the credential (or "none" for NULL) as the second message,
 * straight from the caller's strings.  Syscalls only. */
bool stsenv_keep_send_cred(int fd, const char *id, const char *secret, const char *token,
			   int64_t exp_ms);

/* Reads that message into out (allocating); false for "none" or garbage. */
bool stsenv_keep_recv_cred(const char *buf, size_t len, struct stsenv_cred *out);

/* Where the socket name sits in a packed request (STSENV_TREE_NAME bytes):
 * a root sends its request in three pieces rather than copy it. */
size_t stsenv_keep_request_name_at(void);

/* Sends the page's descriptor on a connected socket (the keeper's side of
 * the socketpair), and receives it (the root's side), waiting at most
 * timeout_ms: a close-on-exec descriptor, or -1 with errno. */
void stsenv_tree_send_page(int sock, int page_fd);
int stsenv_tree_recv_page(int sock, int64_t timeout_ms);

#endif
