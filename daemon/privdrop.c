// SPDX-License-Identifier: MIT
/*
 * Dropping root after start-up (as boringtun does), without libcap: the
 * capability sets are written with capset(2) directly. Order matters:
 * keep capabilities across setuid (PR_SET_KEEPCAPS), drop groups, gid,
 * uid, then reduce the permitted and effective sets to the two we keep,
 * and forbid regaining anything (PR_SET_NO_NEW_PRIVS).
 */
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

static int keep_net_caps(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { { 0 } };
	uint32_t keep = (1u << CAP_NET_ADMIN) | (1u << CAP_NET_BIND_SERVICE);

	data[0].effective = keep;
	data[0].permitted = keep;
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	return 0;
}

/* The janitor: blocks until the daemon's end of the pipe closes (the
 * daemon exited, however), then removes the socket file if it is still
 * the one the daemon made. */
static void janitor(int rfd, const char *path, const struct stat *made)
{
	struct stat now;
	char c;

	prctl(PR_SET_NAME, "lanwired-janitor");
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	while (read(rfd, &c, 1) > 0)
		;
	if (path && stat(path, &now) == 0 && now.st_ino == made->st_ino &&
	    now.st_dev == made->st_dev)
		unlink(path);
	_exit(0);
}

static int spawn_janitor(const char *path)
{
	struct stat made = { 0 };
	int p[2];
	pid_t pid;

	if (path && stat(path, &made) < 0)
		path = NULL;
	if (pipe(p) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		/* Close everything but the pipe's read end. */
		for (int fd = 3; fd < 1024; fd++)
			if (fd != p[0])
				close(fd);
		janitor(p[0], path, &made);
	}
	close(p[0]);
	/* Our write end stays open (never written) until we exit. */
	return 0;
}

int privdrop_to_user(const char *user, const char *uapi_path)
{
	struct passwd *pw = getpwnam(user);
	int ret;

	if (!pw)
		return -ENOENT;
	if (pw->pw_uid == 0)
		return 0; /* nothing to drop */
	ret = spawn_janitor(uapi_path);
	if (ret < 0)
		return ret;
	if (prctl(PR_SET_KEEPCAPS, 1) < 0 || setgroups(0, NULL) < 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
		return -errno;
	ret = keep_net_caps();
	if (ret < 0)
		return ret;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	log_verbose("dropped privileges to user %s (uid %u), keeping "
		    "CAP_NET_ADMIN and CAP_NET_BIND_SERVICE", user,
		    (unsigned)pw->pw_uid);
	return 0;
}
