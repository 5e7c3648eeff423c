// SPDX-License-Identifier: MIT
/*
 * The root helper and the privilege drop (privhelper.c, privdrop.c), as
 * root (skipped, and said so, otherwise):
 *  1. the helper opens both UDP sockets on one port, with the mark and the
 *     forced 4 MiB buffers, and passes them back; a low port too;
 *  2. it marks sockets handed to it, refuses what is not a UDP socket,
 *     answers a port in use with -EADDRINUSE, a malformed or unknown
 *     request with -EINVAL, and goes on serving;
 *  3. when the channel closes it exits and removes the socket file it
 *     was given, and only if it is still the same file;
 *  4. in a forked child, privdrop_to_user("nobody") leaves no capability
 *     in any set, securebits 0xef locked, no_new_privs, no inherited
 *     descriptor; the child can still bind port 443 and set a mark through
 *     the helper, but cannot set a mark itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/securebits.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privdrop.h"
#include "privhelper.h"
#include "test.h"
#include "udp.h"

static int mark_of(int fd)
{
	uint32_t mark = 0;
	socklen_t len = sizeof(mark);

	if (getsockopt(fd, SOL_SOCKET, SO_MARK, &mark, &len) < 0)
		return -1;
	return (int)mark;
}

static int port_of(int fd)
{
	struct sockaddr_in6 a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		return -1;
	return ntohs(a.sin6_port); /* same offset in sockaddr_in */
}

static int rcvbuf_of(int fd)
{
	int size = 0;
	socklen_t len = sizeof(size);

	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, &len);
	return size;
}

static void test_open_and_mark(int chan)
{
	int fd4 = -1, fd6 = -1, p[2];
	uint16_t port = 0;

	CHECK_EQ(privhelper_udp_open(chan, 0, 0x42, &fd4, &fd6, &port), 0);
	CHECK(fd4 >= 0 && port != 0);
	CHECK_EQ(port_of(fd4), port);
	if (fd6 >= 0)
		CHECK_EQ(port_of(fd6), port);
	CHECK_EQ(mark_of(fd4), 0x42);
	/* forced past rmem_max: the kernel reports twice the 4 MiB */
	CHECK(rcvbuf_of(fd4) >= 4 << 20);
	CHECK_EQ(privhelper_set_fwmark(chan, fd4, fd6, 0x77), 0);
	CHECK_EQ(mark_of(fd4), 0x77);
	if (fd6 >= 0)
		CHECK_EQ(mark_of(fd6), 0x77);
	/* a pipe is not a UDP socket; ours stays open */
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(privhelper_set_fwmark(chan, p[0], -1, 1), -EINVAL);
	CHECK(fcntl(p[0], F_GETFD) >= 0);
	/* nor a TUN: the carrier request refuses it, and a UDP socket */
	CHECK_EQ(privhelper_tun_set_carrier(chan, p[0], false), -EINVAL);
	CHECK_EQ(privhelper_tun_set_carrier(chan, fd4, true), -EINVAL);
	CHECK(fcntl(p[0], F_GETFD) >= 0);
	close(p[0]);
	close(p[1]);
	/* the port is ours now: a second open of it is refused */
	{
		int a = -1, b = -1;
		uint16_t q = 0;

		CHECK_EQ(privhelper_udp_open(chan, port, 0, &a, &b, &q),
			 -EADDRINUSE);
		CHECK(a == -1 && b == -1);
	}
	close(fd4);
	if (fd6 >= 0)
		close(fd6);
	/* a low port */
	CHECK_EQ(privhelper_udp_open(chan, 1, 0, &fd4, &fd6, &port), 0);
	CHECK_EQ(port, 1);
	close(fd4);
	if (fd6 >= 0)
		close(fd6);
}

static void test_bad_requests(int chan)
{
	int32_t reply[2] = { 0 };
	uint32_t unknown[3] = { 99, 0, 0 };
	int fd4 = -1, fd6 = -1;
	uint16_t port;

	CHECK_EQ(send(chan, "xy", 2, 0), 2);
	CHECK_EQ(recv(chan, reply, sizeof(reply), 0), 8);
	CHECK_EQ(reply[0], -EINVAL);
	CHECK_EQ(send(chan, unknown, sizeof(unknown), 0), 12);
	CHECK_EQ(recv(chan, reply, sizeof(reply), 0), 8);
	CHECK_EQ(reply[0], -EINVAL);
	/* still serving */
	CHECK_EQ(privhelper_udp_open(chan, 0, 0, &fd4, &fd6, &port), 0);
	close(fd4);
	if (fd6 >= 0)
		close(fd6);
}

static void test_exit_removes_file(void)
{
	char path[] = "/tmp/lwky-privdrop-test.XXXXXX";
	int fd = mkstemp(path), chan, status = -1;
	pid_t pid;

	CHECK(fd >= 0);
	close(fd);
	chan = privhelper_start(path);
	CHECK(chan >= 0);
	test_open_and_mark(chan);
	test_bad_requests(chan);
	close(chan);
	pid = wait(&status);
	CHECK(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(access(path, F_OK) < 0);

	/* replaced meanwhile: left alone */
	fd = mkstemp(path);
	close(fd);
	chan = privhelper_start(path);
	unlink(path);
	fd = open(path, O_CREAT | O_WRONLY | O_EXCL, 0600);
	close(fd);
	close(chan);
	wait(&status);
	CHECK(access(path, F_OK) == 0);
	unlink(path);
}

/* The child's verdict: 0 if every check held, else the failing check. */
static int dropped_child(int extra_fd)
{
	int fd4 = -1, fd6 = -1, s, mark = 0x99;
	uint16_t port;

	/* (checked first: the helper's channel may reuse the number) */
	if (fcntl(extra_fd, F_GETFD) >= 0)
		return 15;
	if (privdrop_to_user("nobody", NULL) < 0)
		return 10;
	if (getuid() != getpwnam("nobody")->pw_uid || geteuid() == 0)
		return 11;
	if (prctl(PR_GET_SECUREBITS, 0, 0, 0, 0) !=
	    (SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
	     SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
	     SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED))
		return 12;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return 13;
	if (prctl(PR_CAPBSET_READ, 12 /* CAP_NET_ADMIN */, 0, 0, 0) != 0)
		return 14;
	/* itself: no SO_MARK (needs CAP_NET_ADMIN) */
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (setsockopt(s, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) == 0)
		return 16;
	close(s);
	/* through the helper: port 443 and a mark */
	if (privdrop_udp_open(443, 0x42, &fd4, &fd6, &port) || port != 443)
		return 17;
	if (mark_of(fd4) != 0x42 || privdrop_udp_set_fwmark(fd4, fd6, 7) ||
	    mark_of(fd4) != 7)
		return 18;
	return 0;
}

static void test_drop_in_child(void)
{
	int status = -1, extra = open("/dev/null", O_RDONLY);
	pid_t pid = fork();

	if (pid == 0) {
		int keep[1] = { -1 };

		privdrop_close_inherited(keep, 1);
		_exit(dropped_child(extra));
	}
	CHECK(pid > 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fprintf(stderr, "  child: status 0x%x\n", status);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(extra);
	/* the child's helper saw its channel close and exited too */
	while (wait(&status) > 0)
		;
}

int main(void)
{
	if (geteuid() != 0) {
		printf("privdrop: skipped, needs root\n");
		CHECK(1);
		return test_finish("privdrop");
	}
	test_exit_removes_file();
	test_drop_in_child();
	return test_finish("privdrop");
}
