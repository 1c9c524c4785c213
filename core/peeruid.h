/* Who is on the other end of a loopback TCP connection: the keeper's
 * endpoint answers only the uid it serves, and TCP (unlike a Unix socket's
 * SO_PEERCRED) does not say. */
#ifndef STSENV_PEERUID_H
#define STSENV_PEERUID_H

#include <stdint.h>

/* The uid owning the peer's socket of fd, a connected TCP socket whose
 * both ends are loopback (127.0.0.0/8, ::1, or those as v4-mapped IPv6):
 * that is, the euid of the process that created the client's socket.
 * Asks the kernel with an exact NETLINK_SOCK_DIAG lookup of the peer's
 * 4-tuple, else scans /proc/net/tcp and tcp6.  A peer socket that no
 * process holds any more (closed, orphaned, in TIME_WAIT: the kernel calls
 * its owner 0) is not found.  Returns -1 with errno set (ENOENT: not found;
 * EADDRNOTAVAIL: not loopback; EAFNOSUPPORT, EPROTONOSUPPORT: not IP, not
 * TCP; ENOTSOCK, ENOTCONN, EBADF: from the socket calls); on success errno
 * is as it was.  No global state, no descriptor left open or inherited;
 * the netlink answer is awaited 100 ms at most. */
int64_t stsenv_tcp_peer_uid(int fd);

/* For tests: each lookup on its own.  _proc reads dir/tcp and dir/tcp6
 * (dir NULL: /proc/net). */
int64_t stsenv_tcp_peer_uid_diag(int fd);
int64_t stsenv_tcp_peer_uid_proc(int fd, const char *dir);

#endif
