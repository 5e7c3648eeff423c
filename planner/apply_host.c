// SPDX-License-Identifier: MIT
/*
 * The host as lanwire up / down see it (apply_int.h): links, addresses
 * and routes read back from `ip -o`, sysctls, the nft table, the owner of
 * an interface that is not ours (from /proc), the state file, and the
 * change report. Every command is an argument vector run by proc.c, in
 * the namespace of struct lw_apply when it names one.
 */
#include "apply_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc.h"
#include "txn.h"

int apply_fail(const struct up_ctx *u, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "lanwire: %s: ", u->pl->self->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

void apply_report(struct up_ctx *u, const char *fmt, ...)
{
	va_list ap;

	u->changes++;
	if (!u->o->report)
		return;
	fprintf(u->o->report, "%s: ", u->pl->self->name);
	va_start(ap, fmt);
	vfprintf(u->o->report, fmt, ap);
	va_end(ap);
	fputc('\n', u->o->report);
	fflush(u->o->report);
}

int host_run(const struct lw_apply *o, const char *const argv[],
	     const char *input)
{
	struct lw_cmd c = { o->netns, NULL, o->echo, o->out_fd, input };

	return proc_run(&c, argv);
}

char *host_query(const struct lw_apply *o, const char *const argv[])
{
	struct lw_cmd c = { o->netns, NULL, NULL, LW_CMD_QUIET, NULL };
	char *out = NULL;

	if (proc_capture(&c, argv, &out)) {
		free(out);
		return NULL;
	}
	return out;
}

/* "7: name@peer: <...> mtu 1420 ..." -> index, name, mtu. */
static bool link_line(const char *line, unsigned int *ifindex, char *name,
		      unsigned int *mtu)
{
	const char *m;
	int n = 0;

	if (sscanf(line, "%u: %15[^:@ ]%n", ifindex, name, &n) != 2 || !n)
		return false;
	m = strstr(line, " mtu ");
	*mtu = m ? (unsigned int)strtoul(m + 5, NULL, 10) : 0;
	return true;
}

int host_link(const struct lw_apply *o, const char *name,
	      unsigned int *ifindex, unsigned int *mtu)
{
	const char *argv[] = { "ip", "-o", "link", "show", "dev", name, NULL };
	char *out = host_query(o, argv), found[LW_IFNAME_MAX + 1];
	int r = -ENODEV;

	if (out && link_line(out, ifindex, found, mtu) && !strcmp(found, name))
		r = 0;
	free(out);
	return r;
}

int host_link_name(const struct lw_apply *o, unsigned int ifindex,
		   char name[static LW_IFNAME_MAX + 1])
{
	const char *argv[] = { "ip", "-o", "link", "show", NULL };
	char *out = host_query(o, argv), *line, *save = NULL;
	unsigned int idx, mtu;
	int r = -ENODEV;

	for (line = out ? strtok_r(out, "\n", &save) : NULL; line && r;
	     line = strtok_r(NULL, "\n", &save))
		if (link_line(line, &idx, name, &mtu) && idx == ifindex)
			r = 0;
	free(out);
	return r;
}

/* The word after key (" inet " ...) of each line, as prefixes. */
static int collect(char *out, const char *key, bool first_word,
		   const char *dflt, struct lw_up_prefixes *l)
{
	char *line, *save = NULL, *w, word[64];
	struct lw_prefix p;
	int r = 0;

	for (line = strtok_r(out, "\n", &save); line && !r;
	     line = strtok_r(NULL, "\n", &save)) {
		w = first_word ? line : strstr(line, key);
		if (!w || sscanf(w + (first_word ? 0 : strlen(key)), "%63s",
				 word) != 1)
			continue;
		if (!strcmp(word, "default"))
			snprintf(word, sizeof(word), "%s", dflt);
		if (up_prefix_parse(&p, word))
			continue;
		if (p.family == AF_INET6 && p.addr[0] == 0xfe &&
		    (p.addr[1] & 0xc0) == 0x80)
			continue; /* link-local: the kernel's, not ours */
		r = up_prefixes_add(l, &p);
	}
	return r;
}

int host_addrs(const struct lw_apply *o, const char *name,
	       struct lw_up_prefixes *out)
{
	const char *argv[] = { "ip", "-o", "addr", "show", "dev", name, NULL };
	char *text = host_query(o, argv), *copy;
	int r;

	if (!text)
		return -ENODEV;
	copy = strdup(text);
	r = copy ? collect(text, " inet ", false, "", out) : -ENOMEM;
	if (!r)
		r = collect(copy, " inet6 ", false, "", out);
	free(copy);
	free(text);
	return r;
}

int host_routes(const struct lw_apply *o, const char *name,
		struct lw_up_prefixes *out)
{
	const char *argv[] = { "ip", "-o", NULL,  "route", "show",
			       "table", "main", "dev", name,  NULL };
	static const char *const fam[] = { "-4", "-6" };
	char *text;
	int i, r = 0;

	for (i = 0; i < 2 && !r; i++) {
		argv[2] = fam[i];
		text = host_query(o, argv);
		if (!text)
			return -ENODEV;
		r = collect(text, "", true, i ? "::/0" : "0.0.0.0/0", out);
		free(text);
	}
	return r;
}

bool host_nft_table(const struct lw_apply *o)
{
	const char *argv[] = { "nft", "list", "table", "inet", LW_NFT_TABLE,
			       NULL };
	char *out = host_query(o, argv);

	free(out);
	return out != NULL;
}

char *host_sysctl(const struct lw_apply *o, const char *key)
{
	const char *argv[] = { "sysctl", "-n", key, NULL };
	char *out = host_query(o, argv);

	if (out)
		out[strcspn(out, "\n")] = '\0';
	return out;
}

bool host_pid_serves(pid_t pid, const char *name)
{
	char id[16], prog[64];

	snprintf(id, sizeof(id), "%d", (int)pid);
	return proc_alive(pid) && proc_cmdline_has(id, name, prog, sizeof(prog));
}

/* The processes other than wg/ip/lanwire itself with name as an argument:
 * whoever serves the interface (wireguard-go, lanwired, boringtun). */
static void owner_processes(const char *name, char *buf, size_t size)
{
	char prog[64];
	struct dirent *e;
	size_t used = 0;
	DIR *dir = opendir("/proc");

	buf[0] = '\0';
	while (dir && (e = readdir(dir)) && used + 1 < size) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9' ||
		    atoi(e->d_name) == (int)getpid() ||
		    !proc_cmdline_has(e->d_name, name, prog, sizeof(prog)) ||
		    !strcmp(prog, "wg") || !strcmp(prog, "ip") ||
		    !strcmp(prog, "lanwire"))
			continue;
		used += (size_t)snprintf(buf + used, size - used, "%s%s (pid %s)",
					 used ? ", " : "", prog, e->d_name);
	}
	if (dir)
		closedir(dir);
}

void host_owner(const struct lw_apply *o, const char *name, char *buf,
		size_t size)
{
	const char *argv[] = { "ip", "-d", "-o", "link", "show", "dev", name,
			       NULL };
	char *out = host_query(o, argv);
	bool kernel = out && strstr(out, " wireguard ");

	free(out);
	owner_processes(name, buf, size);
	if (buf[0])
		return;
	snprintf(buf, size, "%s",
		 kernel ? "a kernel WireGuard interface" :
			  "no process found serving it");
}

int state_load(struct up_ctx *u)
{
	char *text = NULL;
	size_t len;
	int line, r = lw_read_file(u->state_path, &text, &len, 1 << 20);

	if (r)
		return r;
	r = up_state_parse(&u->st, text, &line);
	free(text);
	if (r) {
		up_state_free(&u->st);
		apply_fail(u, "%s line %d is not a lanwire state file; not "
			      "trusting it (remove it by hand)",
			   u->state_path, line);
		return -EINVAL;
	}
	return 0;
}

int state_save(struct up_ctx *u)
{
	char *text = up_state_format(&u->st);
	struct lw_txn t;
	int r = text ? 0 : -ENOMEM;

	txn_init(&t);
	if (!r)
		r = txn_add(&t, u->state_path, text, strlen(text), 0600, false);
	if (!r)
		r = txn_commit(&t);
	txn_free(&t);
	free(text);
	if (r)
		return apply_fail(u, "cannot write %s: %s", u->state_path,
				  strerror(-r));
	return 0;
}
