// SPDX-License-Identifier: GPL-2.0
/*
 * test_status.c - unit tests of the status parser (run under ASan/UBSan);
 * the other files' parsers are tested by test_parse.c.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "parse.h"

static int parse_text(const char *text, struct status *st, unsigned int *bad)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int ret;

	if (!f) {
		perror("fmemopen");
		return -1;
	}
	ret = status_parse(f, st, bad);
	fclose(f);
	return ret;
}

static void test_good(void)
{
	static struct status st;
	unsigned int bad = 0;

	CHECK(parse_text("# key value...\nversion 0.1.0\nkernel 6.1.0-56-amd64\n"
			 "probe __x64_sys_mmap kretprobe attached 1234 0\n"
			 "probe do_mmap kprobe detached 0 7\n"
			 "future_key 1 2 3\n", &st, &bad) == 0);
	CHECK(!strcmp(st.version, "0.1.0"));
	CHECK(!strcmp(st.kernel, "6.1.0-56-amd64"));
	CHECK(st.nr_probes == 2);
	CHECK(!strcmp(st.probes[0].symbol, "__x64_sys_mmap"));
	CHECK(!strcmp(st.probes[0].type, "kretprobe"));
	CHECK(st.probes[0].attached);
	CHECK(st.probes[0].hits == 1234);
	CHECK(st.probes[0].missed == 0);
	CHECK(!st.probes[1].attached);
	CHECK(st.probes[1].missed == 7);
}

/* columns past the ones the format names are for newer readers: skipped */
static void test_extra_columns(void)
{
	static struct status st;
	unsigned int bad = 0;

	CHECK(parse_text("# key value...\nversion 0.1.0 extra\n"
			 "probe a b attached 1 2 3\n", &st, &bad) == 0);
	CHECK(!strcmp(st.version, "0.1.0"));
	CHECK(st.nr_probes == 1);
	CHECK(st.probes[0].hits == 1 && st.probes[0].missed == 2);
}

static void test_bad(void)
{
	static const struct {
		const char *text;
		unsigned int line;
	} cases[] = {
		{ "", 1 },
		{ "version 0.1.0\n", 1 },			/* no header */
		{ "# h\n", 2 },					/* no version */
		{ "# h\nversion 0.1.0", 2 },			/* no newline */
		{ "# h\nversion 0.1.0\nprobe a b attached 1\n", 3 },
		{ "# h\nversion 0.1.0\nprobe a b maybe 1 2\n", 3 },
		{ "# h\nversion 0.1.0\nprobe a b attached -1 2\n", 3 },
		{ "# h\nversion 0.1.0\nprobe a b attached 1 2x\n", 3 },
		{ "# h\nversion 0.1.0\nprobe a b attached 99999999999999999999 2\n", 3 },
		{ "# h\nversion\n", 2 },
	};
	static struct status st;
	unsigned int i, bad;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bad = 0;
		CHECK(parse_text(cases[i].text, &st, &bad) != 0);
		if (bad != cases[i].line)
			fprintf(stderr, "case %u: bad line %u, want %u\n", i, bad,
				cases[i].line);
		CHECK(bad == cases[i].line);
	}
}

int main(void)
{
	test_good();
	test_extra_columns();
	test_bad();
	return check_report("test_status");
}
