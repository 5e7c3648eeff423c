// SPDX-License-Identifier: MIT
/*
 * The lab's overlay on a description's text (lab_desc.c), for every
 * example run as `lanwire -f FILE lab` and every built-in scenario:
 *   - the copy keeps every original line, in order: unchanged, or
 *     commented out as "# lab: LINE" (and then only an interface,
 *     public-key, or a hub's endpoint line of a node section);
 *   - every line the copy adds ends in "# lab": one interface per node
 *     and one endpoint per hub, nothing else;
 *   - the copy parses and checks clean, with the same nodes, each on its
 *     lab interface (lwl + tag + index);
 *   - the user's file is never written: same bytes and mtime, and its
 *     directory holds nothing new; the copy goes to the lab's directory.
 */
#include "lab.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "desc.h"
#include "overlay.h"
#include "test.h"
#include "txn.h"

#define MARK "# lab"

/* The next line of *p (without its newline) into line; false at the end. */
static bool next_line(const char **p, char *line, size_t size)
{
	size_t n;

	if (!**p)
		return false;
	n = strcspn(*p, "\n");
	snprintf(line, size, "%.*s", (int)n, *p);
	*p += n + ((*p)[n] == '\n');
	return true;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && !strcmp(s + n - t, tail);
}

/* The key of a line, trimmed, as the parser sees it. */
static void key_of(const char *line, char *key, size_t size)
{
	const char *s = line + strspn(line, " \t");

	snprintf(key, size, "%.*s", (int)strcspn(s, " \t="), s);
}

/* Walks the copy against the original; counts what was added and
 * commented out. */
static void compare_lines(const char *name, const char *orig,
			  const char *copy, size_t *added, size_t *hubs_ep)
{
	char o[1024], c[1024], key[64];
	const char *po = orig, *pc = copy;
	bool have_o = next_line(&po, o, sizeof(o)), in_hub = false;
	bool in_node = false, ok = true;

	*added = *hubs_ep = 0;
	while (next_line(&pc, c, sizeof(c))) {
		if (have_o && !strcmp(c, o)) {
			key_of(o, key, sizeof(key));
			if (key[0] == '[') {
				in_hub = !strncmp(key, "[hub", 4);
				in_node = in_hub || !strncmp(key, "[site", 5) ||
					  !strncmp(key, "[client", 7);
			}
			have_o = next_line(&po, o, sizeof(o));
		} else if (have_o && !strncmp(c, MARK ": ", 7) &&
			   !strcmp(c + 7, o)) {
			key_of(o, key, sizeof(key));
			ok &= in_node && (!strcmp(key, "interface") ||
					  !strcmp(key, "public-key") ||
					  (in_hub && !strcmp(key, "endpoint")));
			have_o = next_line(&po, o, sizeof(o));
		} else if (ends_with(c, MARK)) {
			key_of(c, key, sizeof(key));
			ok &= !strcmp(key, "interface") ||
			      !strcmp(key, "endpoint") ||
			      (!in_node && !strcmp(key, "link-interface"));
			*hubs_ep += !strcmp(key, "endpoint");
			(*added)++;
		} else {
			fprintf(stderr, "%s: copy line not in the original and "
					"not marked: %s\n",
				name, c);
			ok = false;
		}
	}
	if (have_o)
		fprintf(stderr, "%s: original line missing from the copy: %s\n",
			name, o);
	CHECK(!have_o);
	CHECK(ok);
}

/* The directory's entries other than . and .. */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return d ? n : -1;
}

static void remove_dir(const char *dir)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/lab.conf", dir);
	unlink(path);
	rmdir(dir);
}

/* One scenario through lab_describe(); orig is the text it starts from. */
static void check_overlay(const struct lab_scenario *sc, const char *orig)
{
	struct lw_desc d = { 0 }, od = { 0 };
	struct lab l = { 0 };
	char path[512], want[32], *written = NULL;
	size_t added, hubs_ep, i, len, n_hubs = 0;

	l.sc = sc;
	snprintf(l.tag, sizeof(l.tag), "t%d", (int)(getpid() % 1000));
	snprintf(l.dir, sizeof(l.dir), "/tmp/lwv6-labdesc-XXXXXX");
	CHECK(mkdtemp(l.dir) != NULL);
	l.log = fopen("/dev/null", "w");
	l.d = &d;
	CHECK_EQ(lab_describe(&l), 0);
	if (!l.text) {
		fprintf(stderr, "%s: no lab copy\n", sc->name);
		goto out;
	}
	compare_lines(sc->name, orig, l.text, &added, &hubs_ep);
	CHECK_EQ(desc_parse(&od, "orig", orig, strlen(orig)), 0);
	for (i = 0; i < od.n_nodes; i++)
		n_hubs += od.nodes[i].role == LW_ROLE_HUB;
	/* an overlay also gets its link interfaces' prefix */
	CHECK_EQ(added, od.n_nodes + n_hubs + (overlay_active(&od) ? 1 : 0));
	CHECK_EQ(hubs_ep, n_hubs);
	snprintf(want, sizeof(want), "lwk%s", l.tag);
	CHECK(!overlay_active(&od) || !strcmp(d.net.link_iface, want));
	/* the parsed copy: the same nodes, each on its lab interface */
	CHECK_EQ(d.n_nodes, od.n_nodes);
	CHECK_EQ(d.n_errors, 0);
	for (i = 0; i < d.n_nodes && i < od.n_nodes; i++) {
		CHECK(!strcmp(d.nodes[i].name, od.nodes[i].name));
		snprintf(want, sizeof(want), "lwl%s%zu", l.tag, i);
		CHECK(!strcmp(d.nodes[i].iface, want));
	}
	/* the copy in the lab's directory */
	snprintf(path, sizeof(path), "%s/lab.conf", l.dir);
	CHECK(!lw_read_file(path, &written, &len, 1 << 22) && written &&
	      !strcmp(written, l.text));
out:
	free(written);
	desc_free(&od);
	desc_free(&d);
	free(l.text);
	free(l.up);
	if (l.log)
		fclose(l.log);
	remove_dir(l.dir);
}

/* The user's file, read-only to all (the lab must not need to write it). */
static int write_user_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");
	int r;

	if (!f)
		return -1;
	r = fwrite(text, 1, len, f) == len ? 0 : -1;
	r |= fclose(f) ? -1 : 0;
	return r ? r : chmod(path, 0444);
}

/* Every example as a user's file (-f): copied into a directory of its
 * own, which must hold exactly that file, unchanged, afterwards. */
static void test_examples(void)
{
	static const char *const names[] = { "leased-line", "remote-dev",
					      "star", "hq", "dualstack", "ha",
					      "direct", "asymmetric" };
	char dir[] = "/tmp/lwv6-labuser-XXXXXX", src[256], path[512];
	struct lab_scenario sc = { 0 };
	struct stat before, after;
	char *text = NULL, *again = NULL;
	size_t i, len;

	CHECK(mkdtemp(dir) != NULL);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(src, sizeof(src), "examples/%s.conf", names[i]);
		snprintf(path, sizeof(path), "%s/%s.conf", dir, names[i]);
		CHECK_EQ(lw_read_file(src, &text, &len, 1 << 22), 0);
		if (!text)
			continue;
		CHECK_EQ(write_user_file(path, text, len), 0);
		CHECK_EQ(stat(path, &before), 0);
		sc.name = names[i];
		sc.path = path;
		check_overlay(&sc, text);
		CHECK_EQ(stat(path, &after), 0);
		CHECK(after.st_mtim.tv_sec == before.st_mtim.tv_sec &&
		      after.st_mtim.tv_nsec == before.st_mtim.tv_nsec &&
		      after.st_size == before.st_size);
		CHECK(!lw_read_file(path, &again, &len, 1 << 22) && again &&
		      !strcmp(again, text));
		CHECK_EQ(count_entries(dir), 1);
		unlink(path);
		free(text);
		free(again);
		text = again = NULL;
	}
	rmdir(dir);
}

/* The built-in scenarios: the embedded example and its extra lines. */
static void test_scenarios(void)
{
	static const char *const names[] = { "leased-line", "remote-dev",
					      "star", "hq", "dualstack", "ha",
					      "direct", "asymmetric" };
	const struct lab_scenario *sc;
	struct lw_buf b = { 0 };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		sc = lab_find_scenario(names[i]);
		CHECK(sc != NULL && sc->example != NULL);
		if (!sc || !sc->example)
			continue;
		buf_puts(&b, lab_example_text(sc->example));
		if (sc->extra) {
			buf_puts(&b, "\n");
			buf_puts(&b, sc->extra);
		}
		check_overlay(sc, buf_str(&b));
		buf_free(&b);
		memset(&b, 0, sizeof(b));
	}
}

int main(void)
{
	test_examples();
	test_scenarios();
	return test_finish("planner_lab_desc");
}
