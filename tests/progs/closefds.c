/* A daemon's start: close every descriptor from 3 up, open its data file
 * (which gets descriptor 3), then work for SECONDS reading the credential
 * now and then.  Whatever stsenv logs meanwhile must not land in the data
 * file.  Prints "data intact" or "data changed".
 * usage: closefds DATAFILE SECONDS */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char buf[64] = "";
	time_t end;
	int fd;

	if (argc < 3)
		return 2;
	for (int i = 3; i < 1024; i++)
		close(i);
	fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd != 3 || write(fd, "DATA", 4) != 4)
		return 1;
	end = time(NULL) + atoi(argv[2]);
	while (time(NULL) < end) {
		(void)getenv("ALIBABA_CLOUD_ACCESS_KEY_ID");
		usleep(100000);
	}
	lseek(fd, 0, SEEK_SET);
	printf("data %s\n", read(fd, buf, sizeof(buf) - 1) == 4 && strcmp(buf, "DATA") == 0
				    ? "intact"
				    : "changed");
	return 0;
}
