// SPDX-License-Identifier: MIT
/*
 * Tests for edit.c: where lanwire add puts a section (after the last of its
 * kind, else before [policy], else at the end) and what lanwire remove
 * takes away (the section and the comments directly above it, one blank
 * line kept between neighbours), compared as whole texts.
 */
#include "edit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

static void expect_add(int num, const char *text, const char *kind,
		       const char *section, const char *want)
{
	char *out = NULL;

	CHECK_EQ(edit_add_section(text, strlen(text), kind, section, &out), 0);
	CHECK(out && !strcmp(out, want));
	if (out && strcmp(out, want))
		fprintf(stderr, "case %d:\n---\n%s---\nwant:\n%s---\n", num,
			out, want);
	free(out);
}

static void expect_remove(int num, const char *text, const char *kind,
			  const char *name, int ret, const char *want)
{
	char *out = NULL;

	CHECK_EQ(edit_remove_section(text, strlen(text), kind, name, &out),
		 ret);
	if (ret)
		return;
	CHECK(out && !strcmp(out, want));
	if (out && strcmp(out, want))
		fprintf(stderr, "case %d:\n---\n%s---\nwant:\n%s---\n", num,
			out, want);
	free(out);
}

static const char base[] =
	"[network]\n"
	"tunnel = 10.9.0.0/16\n"
	"\n"
	"[hub z]\n"
	"endpoint = x:1\n"
	"\n"
	"# the first laptop\n"
	"[client e]\n"
	"group = dev\n"
	"\n"
	"# the policy\n"
	"[policy]\n"
	"allow = dev -> dev\n";

static void test_add(void)
{
	/* 1: after the last client */
	expect_add(1, base, "client", "[client f]\ngroup = dev\n",
		   "[network]\ntunnel = 10.9.0.0/16\n\n[hub z]\nendpoint = "
		   "x:1\n\n# the first laptop\n[client e]\ngroup = dev\n\n"
		   "[client f]\ngroup = dev\n\n# the policy\n[policy]\n"
		   "allow = dev -> dev\n");
	/* 2: no site yet: before [policy] and its comment */
	expect_add(2, base, "site", "[site s]\nlan = 10.1.0.0/24\n",
		   "[network]\ntunnel = 10.9.0.0/16\n\n[hub z]\nendpoint = "
		   "x:1\n\n# the first laptop\n[client e]\ngroup = dev\n\n"
		   "[site s]\nlan = 10.1.0.0/24\n\n# the policy\n[policy]\n"
		   "allow = dev -> dev\n");
	/* 3: no [policy]: at the end, after a blank line */
	expect_add(3, "[network]\ntunnel = 10.9.0.0/16", "hub",
		   "[hub z]\nendpoint = x:1\n",
		   "[network]\ntunnel = 10.9.0.0/16\n\n[hub z]\nendpoint = "
		   "x:1\n");
	/* 4: a header written loosely still counts */
	expect_add(4, "  [ HUB a ] # first\nendpoint = y:2\n[policy]\n", "hub",
		   "[hub b]\n",
		   "  [ HUB a ] # first\nendpoint = y:2\n\n[hub b]\n\n"
		   "[policy]\n");
}

static void test_remove(void)
{
	/* 5: a client and its comment */
	expect_remove(5, base, "client", "e", 0,
		      "[network]\ntunnel = 10.9.0.0/16\n\n[hub z]\nendpoint = "
		      "x:1\n\n# the policy\n[policy]\nallow = dev -> dev\n");
	/* 6: the last section, no trailing blank lines left */
	expect_remove(6, "[network]\nx = 1\n\n[hub z]\ny = 2\n\n", "hub", "z",
		      0, "[network]\nx = 1\n");
	/* 7: no blank line between: one is kept */
	expect_remove(7, "[hub a]\nx = 1\n[hub b]\ny = 2\n\n[hub c]\n", "hub",
		      "b", 0, "[hub a]\nx = 1\n\n[hub c]\n");
	/* 8: kind and name must both match */
	expect_remove(8, base, "hub", "e", -ENOENT, NULL);
	expect_remove(9, base, "client", "E", -ENOENT, NULL);
}

static void expect_lines(int num, const char *text, const char *kind,
			 const char *name, const char *lines, int ret,
			 const char *want)
{
	char *out = NULL;

	CHECK_EQ(edit_add_lines(text, strlen(text), kind, name, lines, &out),
		 ret);
	if (ret)
		return;
	CHECK(out && !strcmp(out, want));
	if (out && strcmp(out, want))
		fprintf(stderr, "case %d:\n---\n%s---\nwant:\n%s---\n", num,
			out, want);
	free(out);
}

static void test_add_lines(void)
{
	/* 10: after the last key, before the blank line and the comment
	 * that belongs to the next section */
	expect_lines(10, base, "hub", "z", "address = 10.9.0.1\n", 0,
		     "[network]\ntunnel = 10.9.0.0/16\n\n[hub z]\nendpoint = "
		     "x:1\naddress = 10.9.0.1\n\n# the first laptop\n"
		     "[client e]\ngroup = dev\n\n# the policy\n[policy]\n"
		     "allow = dev -> dev\n");
	/* 11: indented as the last key; a comment under the keys stays
	 * below; the last section of a file without a final newline */
	expect_lines(11, "[client e]\n  group = dev\n  # mine\n", "client",
		     "e", "a = 1\nb = 2\n", 0,
		     "[client e]\n  group = dev\n  a = 1\n  b = 2\n  # mine\n");
	expect_lines(12, "[client e]", "client", "e", "a = 1\n", 0,
		     "[client e]\na = 1\n");
	/* 13: no such section */
	expect_lines(13, base, "client", "f", "a = 1\n", -ENOENT, NULL);
}

int main(void)
{
	test_add();
	test_remove();
	test_add_lines();
	return test_finish("planner_edit");
}
