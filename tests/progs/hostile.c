/* A process of a tree that turns on it: it asks the keeper named in
 * STSENV_TREE for the page, as any member may, then tries every way to
 * write it.  Knows the protocol from the README, nothing from stsenv's code.
 * Prints "got page" (or "refused"), then one line per attempt, "WROTE" for
 * any that succeeded.  usage: hostile (HOSTILE_TREE=v1:... aims at another
 * tree than its own) */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int get_page(void)
{
	/* HOSTILE_TREE: a tree this process is not in (the one it left). */
	const char *t = getenv("HOSTILE_TREE") ? getenv("HOSTILE_TREE") : getenv("STSENV_TREE"),
		   *name;
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	char byte, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&byte, 1};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = ctl,
			   .msg_controllen = sizeof(ctl)};
	struct cmsghdr *c;
	int s, fd = -1;

	if (!t || !(name = strrchr(t, ':')))
		return -1;
	snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "stsenv-%s", name + 1);
	s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (connect(s, (struct sockaddr *)&a,
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				strlen(a.sun_path + 1))) < 0 ||
	    recvmsg(s, &m, 0) != 1)
		return -1;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	close(s);
	return fd;
}

static void report(const char *what, int ok)
{
	printf("%s: %s\n", what, ok ? "WROTE" : "refused");
}

int main(void)
{
	/* A descriptor of the page named in the environment (stsenv once
	 * passed one down, read-write) is an easier way in than the socket. */
	const char *inherited = getenv("STSENV_PAGE_FD");
	int fd = inherited ? atoi(inherited) : get_page(), fd2;
	char path[64], *m;
	struct stat st;

	if (fd < 0 || fcntl(fd, F_GETFD) < 0) {
		printf("refused\n");
		return 0;
	}
	printf("got page\n");
	fstat(fd, &st);
	m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	report("mmap shared writable", m != MAP_FAILED);
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	report("mprotect to writable",
	       m != MAP_FAILED && mprotect(m, (size_t)st.st_size, PROT_READ | PROT_WRITE) == 0);
	report("pwrite", pwrite(fd, "XXXXXXXX", 8, 64) > 0);
	report("ftruncate", ftruncate(fd, 0) == 0);
	report("fallocate", fallocate(fd, 0, 0, st.st_size * 2) == 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	fd2 = open(path, O_RDWR);
	report("reopen read-write and write", fd2 >= 0 && write(fd2, "XXXXXXXX", 8) > 0);
	report("reopen read-write and map", fd2 >= 0 && mmap(NULL, (size_t)st.st_size, PROT_WRITE,
							     MAP_SHARED, fd2, 0) != MAP_FAILED);
	report("remove the seals",
	       fcntl(fd, F_ADD_SEALS, 0) == 0 && !(fcntl(fd, F_GET_SEALS) & 0x0010));
	return 0;
}
