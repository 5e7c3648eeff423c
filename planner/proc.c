// SPDX-License-Identifier: MIT
/*
 * Commands as argument vectors for lanwire up/down/lab (proc.h): fork,
 * enter the namespace, set the environment, exec; stdout collected or
 * redirected; background children stopped by pid. Nothing here goes
 * through a shell.
 */
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"

int proc_enter_netns(const char *name)
{
	char path[512];
	int fd, r = 0;

	snprintf(path, sizeof(path), "%s/%s", LW_NETNS_DIR, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET))
		r = -errno;
	close(fd);
	return r;
}

void proc_echo(const struct lw_cmd *c, const char *const argv[])
{
	size_t i;

	if (!c->echo)
		return;
	fputs("[#] ", c->echo);
	if (c->netns)
		fprintf(c->echo, "%s: ", c->netns);
	for (i = 0; argv[i]; i++)
		fprintf(c->echo, "%s%s", i ? " " : "", argv[i]);
	fputc('\n', c->echo);
	fflush(c->echo);
}

static void out_fd_null(const struct lw_cmd *c)
{
	int null = open("/dev/null", O_WRONLY);

	(void)c;
	if (null >= 0) {
		dup2(null, 1);
		dup2(null, 2);
		close(null);
	}
}

/* In the child: namespace, descriptors, environment, exec. Never
 * returns. */
static void child_exec(const struct lw_cmd *c, const char *const argv[],
		       int in_fd, int out_fd)
{
	size_t i;

	if (c->netns && proc_enter_netns(c->netns)) {
		fprintf(stderr, "lanwire: cannot enter namespace %s\n",
			c->netns);
		_exit(127);
	}
	if (in_fd >= 0)
		dup2(in_fd, 0);
	else {
		int null = open("/dev/null", O_RDONLY);

		if (null >= 0)
			dup2(null, 0);
	}
	if (c->out_fd == LW_CMD_QUIET)
		out_fd_null(c);
	if (c->out_fd >= 0) {
		dup2(c->out_fd, 1);
		dup2(c->out_fd, 2);
	}
	if (out_fd >= 0)
		dup2(out_fd, 1);
	for (i = 0; c->env && c->env[i]; i++)
		putenv((char *)c->env[i]);
	execvp(argv[0], (char *const *)argv);
	fprintf(stderr, "lanwire: cannot run %s: %s\n", argv[0],
		strerror(errno));
	_exit(127);
}

static int wait_status(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

static void write_input(int fd, const char *s)
{
	size_t len = strlen(s);
	ssize_t w;

	while (len) {
		w = write(fd, s, len);
		if (w <= 0)
			break;
		s += w;
		len -= (size_t)w;
	}
}

static int run(const struct lw_cmd *c, const char *const argv[], char **out)
{
	int in[2] = { -1, -1 }, op[2] = { -1, -1 };
	struct lw_buf b = { 0 };
	char chunk[4096];
	ssize_t n;
	pid_t pid;
	int r;

	if (c->input && pipe2(in, O_CLOEXEC))
		return -errno;
	if (out && pipe2(op, O_CLOEXEC)) {
		r = -errno;
		goto out;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto out;
	}
	if (!pid)
		child_exec(c, argv, in[0], op[1]);
	if (c->input) {
		close(in[0]);
		in[0] = -1;
		write_input(in[1], c->input);
		close(in[1]);
		in[1] = -1;
	}
	if (out) {
		close(op[1]);
		op[1] = -1;
		while ((n = read(op[0], chunk, sizeof(chunk))) > 0 ||
		       (n < 0 && errno == EINTR))
			if (n > 0)
				buf_putn(&b, chunk, (size_t)n);
	}
	r = wait_status(pid);
	if (out) {
		*out = buf_steal(&b);
		if (!*out)
			*out = strdup("");
	}
out:
	for (n = 0; n < 2; n++) {
		if (in[n] >= 0)
			close(in[n]);
		if (op[n] >= 0)
			close(op[n]);
	}
	return r;
}

int proc_run(const struct lw_cmd *c, const char *const argv[])
{
	proc_echo(c, argv);
	return run(c, argv, NULL);
}

int proc_capture(const struct lw_cmd *c, const char *const argv[],
		 char **out)
{
	*out = NULL;
	return run(c, argv, out);
}

pid_t proc_spawn(const struct lw_cmd *c, const char *const argv[])
{
	pid_t pid;

	proc_echo(c, argv);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid)
		child_exec(c, argv, -1, -1);
	return pid;
}

bool proc_alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

void proc_stop(pid_t pid, int ms)
{
	int waited;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (waited = 0; waited < ms; waited += 20) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		sleep_ms(20);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

bool proc_cmdline_has(const char *pid, const char *arg, char *prog,
		      size_t size)
{
	char path[64], buf[4096], *p, *end, *base;
	bool has = false;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	end = buf + n;
	for (p = buf + strlen(buf) + 1; p < end; p += strlen(p) + 1)
		has |= !strcmp(p, arg);
	base = strrchr(buf, '/');
	snprintf(prog, size, "%s", base ? base + 1 : buf);
	return has;
}

/* Whether /proc/PID/cmdline names program and has iface as an argument. */
static bool cmdline_matches(const char *pid, const char *program,
			    const char *iface)
{
	char prog[256];

	return proc_cmdline_has(pid, iface, prog, sizeof(prog)) &&
	       !strcmp(prog, program);
}

size_t proc_find_daemon(const char *program, const char *iface, pid_t *pids,
			size_t max)
{
	const char *base = strrchr(program, '/');
	struct dirent *e;
	size_t n = 0;
	DIR *dir;

	base = base ? base + 1 : program;
	dir = opendir("/proc");
	if (!dir)
		return 0;
	while (n < max && (e = readdir(dir))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		if (cmdline_matches(e->d_name, base, iface))
			pids[n++] = (pid_t)atoi(e->d_name);
	}
	closedir(dir);
	return n;
}
