// SPDX-License-Identifier: MIT
/*
 * udpburst -- traffic for tests/e2e/hub.sh: a paced burst of UDP datagrams
 * to several destinations in turn, and a counter on the other side.
 *
 *   udpburst send SIZE COUNT RUN HOST:PORT...
 *	COUNT datagrams of SIZE bytes to each destination, RUN in a row to
 *	one before the next (so a tunnel sees runs to one peer), a short
 *	pause after each round so no queue on the way overflows
 *   udpburst count PORT SECONDS
 *	counts datagrams arriving on PORT (IPv4) until none came for
 *	SECONDS after the first (or 4 * SECONDS without any); prints the
 *	count on stdout
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_DST 8

static int parse_dst(const char *s, struct sockaddr_in *a)
{
	char host[64];
	const char *colon = strrchr(s, ':');

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

static int do_send(int argc, char **argv)
{
	struct sockaddr_in dst[MAX_DST];
	size_t size = (size_t)atol(argv[2]);
	long count = atol(argv[3]), run = atol(argv[4]), sent = 0;
	int ndst = argc - 5, fd;
	static char buf[65507];

	if (ndst < 1 || ndst > MAX_DST || size > sizeof(buf) || run < 1)
		return 2;
	for (int i = 0; i < ndst; i++)
		if (parse_dst(argv[5 + i], &dst[i]) < 0)
			return 2;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return 1;
	for (long done = 0; done < count; done += run) {
		long k = count - done < run ? count - done : run;

		for (int i = 0; i < ndst; i++)
			for (long j = 0; j < k; j++)
				if (sendto(fd, buf, size, 0,
					   (struct sockaddr *)&dst[i],
					   sizeof(dst[i])) == (ssize_t)size)
					sent++;
		usleep(1000);
	}
	fprintf(stderr, "udpburst: sent %ld datagrams\n", sent);
	return 0;
}

static int do_count(char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), secs = atoi(argv[3]);
	int size = 8 << 20;
	long n = 0;
	static char buf[65536];

	a.sin_port = htons((uint16_t)atoi(argv[2]));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return 1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, (n ? secs : 4 * secs) * 1000) <= 0)
			break;
		while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
			n++;
	}
	printf("%ld\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 6 && !strcmp(argv[1], "send"))
		return do_send(argc, argv);
	if (argc == 4 && !strcmp(argv[1], "count"))
		return do_count(argv);
	fprintf(stderr, "usage: udpburst send SIZE COUNT RUN HOST:PORT...\n"
			"       udpburst count PORT SECONDS\n");
	return 2;
}
