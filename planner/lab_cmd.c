// SPDX-License-Identifier: MIT
/*
 * Running commands for the lab (lab.h): namespace names, progress lines
 * (to the terminal and the lab's log), and commands inside a namespace
 * with their output in the log (through proc.c, as up runs them).
 */
#include "lab.h"

#include <stdarg.h>
#include <stdio.h>

#include "proc.h"

void lab_ns_name(const struct lab *l, char *out, size_t size,
		 const char *part)
{
	snprintf(out, size, "%s%s-%s", LAB_NS_PREFIX, l->tag, part);
}

void lab_progress(struct lab *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("lab: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	if (l->log != stderr) {
		va_start(ap, fmt);
		fputs("== ", l->log);
		vfprintf(l->log, fmt, ap);
		fputc('\n', l->log);
		va_end(ap);
		fflush(l->log);
	}
}

int lab_cmd(struct lab *l, const char *ns, const char *const argv[])
{
	struct lw_cmd c = { ns, NULL, l->log, fileno(l->log), NULL };
	int r = proc_run(&c, argv);

	if (r)
		fprintf(l->log, "[!] exit status %d\n", r);
	return r;
}

int lab_cmd_input(struct lab *l, const char *ns, const char *input,
		     const char *const argv[])
{
	struct lw_cmd c = { ns, NULL, l->log, fileno(l->log), input };

	return proc_run(&c, argv);
}

int lab_ip(struct lab *l, const char *ns, ...)
{
	const char *argv[16] = { "ip" };
	size_t n = 1;
	va_list ap;

	va_start(ap, ns);
	while (n < 15 && (argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	return lab_cmd(l, ns, argv);
}
