// SPDX-License-Identifier: MIT
/*
 * All-or-nothing file writes (see txn.h): temporary file beside the target
 * (mkstemp, fchmod before writing, write, fsync, close), then rename, new
 * files first so that a failure before the first replacement can be undone
 * completely, then fsync of each directory touched.
 */
#include "txn.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "key.h"

void txn_init(struct lw_txn *t)
{
	memset(t, 0, sizeof(*t));
}

int txn_add(struct lw_txn *t, const char *path, const void *data, size_t len,
	    mode_t mode, bool secret)
{
	struct lw_txn_file *f;

	if (lw_grow(&t->files, &t->cap_files, t->n_files + 1,
		    sizeof(*t->files)))
		return -ENOMEM;
	f = &t->files[t->n_files];
	f->path = strdup(path);
	f->data = malloc(len ? len : 1);
	if (!f->path || !f->data) {
		free(f->path);
		free(f->data);
		memset(f, 0, sizeof(*f));
		return -ENOMEM;
	}
	memcpy(f->data, data, len);
	f->len = len;
	f->mode = mode;
	f->secret = secret;
	t->n_files++;
	return 0;
}

int txn_unlink(struct lw_txn *t, const char *path)
{
	char *p = strdup(path);

	if (!p || lw_grow(&t->unlinks, &t->cap_unlinks, t->n_unlinks + 1,
			  sizeof(*t->unlinks))) {
		free(p);
		return -ENOMEM;
	}
	t->unlinks[t->n_unlinks++] = p;
	return 0;
}

/* Test hook: true when step (1-based) is the one to fail. */
static bool injected(const struct lw_txn *t, unsigned int step)
{
	return t->fail_at && t->fail_at == step;
}

static int write_all(int fd, const char *p, size_t len)
{
	ssize_t w;

	while (len) {
		w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Writes f's data to a fresh temporary file beside f->path. */
static int write_tmp(struct lw_txn_file *f)
{
	int fd, r;

	if (asprintf(&f->tmp, "%s.tmp-XXXXXX", f->path) < 0) {
		f->tmp = NULL;
		return -ENOMEM;
	}
	fd = mkostemp(f->tmp, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		free(f->tmp);
		f->tmp = NULL;
		return r;
	}
	r = fchmod(fd, f->mode) ? -errno : 0;
	if (!r)
		r = write_all(fd, f->data, f->len);
	if (!r && fsync(fd))
		r = -errno;
	if (close(fd) && !r)
		r = -errno;
	return r;
}

static int sync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd, r = 0;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd))
		r = -errno;
	if (fd >= 0)
		close(fd);
	free(copy);
	return r;
}

/* Removes temporary files and the files this commit created. */
static void roll_back(struct lw_txn *t)
{
	size_t i;

	for (i = 0; i < t->n_files; i++) {
		struct lw_txn_file *f = &t->files[i];

		if (f->tmp && !f->renamed)
			unlink(f->tmp);
		if (f->renamed && !f->existed)
			unlink(f->path);
		free(f->tmp);
		f->tmp = NULL;
		f->renamed = false;
	}
}

static int stage_all(struct lw_txn *t, unsigned int *step)
{
	size_t i;
	int r;

	for (i = 0; i < t->n_files; i++) {
		struct lw_txn_file *f = &t->files[i];

		f->existed = access(f->path, F_OK) == 0;
		r = injected(t, ++*step) ? -EIO : write_tmp(f);
		if (r) {
			t->failed_path = f->path;
			return r;
		}
	}
	return 0;
}

/* Renames new files (pass 0) or replaced files (pass 1) into place. */
static int rename_pass(struct lw_txn *t, bool replaced, unsigned int *step)
{
	size_t i;
	int r;

	for (i = 0; i < t->n_files; i++) {
		struct lw_txn_file *f = &t->files[i];

		if (f->existed != replaced)
			continue;
		if (injected(t, ++*step))
			r = -EIO;
		else
			r = rename(f->tmp, f->path) ? -errno : 0;
		if (r) {
			t->failed_path = f->path;
			return r;
		}
		f->renamed = true;
	}
	return 0;
}

int txn_commit(struct lw_txn *t)
{
	unsigned int step = 0;
	size_t i;
	int r;

	t->failed_path = NULL;
	r = stage_all(t, &step);
	if (!r)
		r = rename_pass(t, false, &step);
	if (!r)
		r = rename_pass(t, true, &step);
	if (r) {
		roll_back(t);
		return r;
	}
	for (i = 0; i < t->n_files; i++) {
		free(t->files[i].tmp);
		t->files[i].tmp = NULL;
		sync_dir_of(t->files[i].path);
	}
	for (i = 0; i < t->n_unlinks; i++) {
		if (!unlink(t->unlinks[i]))
			sync_dir_of(t->unlinks[i]);
	}
	return 0;
}

void txn_free(struct lw_txn *t)
{
	size_t i;

	for (i = 0; i < t->n_files; i++) {
		struct lw_txn_file *f = &t->files[i];

		if (f->secret)
			crypto_wipe(f->data, f->len);
		free(f->data);
		free(f->path);
		free(f->tmp);
	}
	free(t->files);
	for (i = 0; i < t->n_unlinks; i++)
		free(t->unlinks[i]);
	free(t->unlinks);
	memset(t, 0, sizeof(*t));
}

int lw_read_file(const char *path, char **text, size_t *len, size_t max)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	ssize_t got;
	int fd, r = 0;

	*text = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		goto out;
	}
	buf = malloc(max + 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	while (n < max) {
		got = read(fd, buf + n, max - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = -errno;
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (n >= max) {
		r = -EFBIG;
		goto out;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	buf = NULL;
out:
	if (buf)
		crypto_wipe(buf, max + 1);
	free(buf);
	close(fd);
	return r;
}

int lw_mkdir_private(const char *dir, bool *created)
{
	struct stat st;

	*created = false;
	if (!mkdir(dir, 0700)) {
		*created = true;
		return chmod(dir, 0700) ? -errno : 0;
	}
	if (errno != EEXIST)
		return -errno;
	if (stat(dir, &st))
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}
