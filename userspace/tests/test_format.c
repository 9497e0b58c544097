// SPDX-License-Identifier: GPL-2.0
/*
 * test_format.c - human units and printable names (format.c).
 */
#include "check.h"
#include "format.h"

int main(void)
{
	char b[FMT_MAX], name[64];

	CHECK_STR(fmt_bytes(b, 0), "0 B");
	CHECK_STR(fmt_bytes(b, 1023), "1023 B");
	CHECK_STR(fmt_bytes(b, 1024), "1.0 KiB");
	CHECK_STR(fmt_bytes(b, 1536), "1.5 KiB");
	CHECK_STR(fmt_bytes(b, 65536), "64.0 KiB");
	CHECK_STR(fmt_bytes(b, 1048575), "1.0 MiB");	/* not "1024.0 KiB" */
	CHECK_STR(fmt_bytes(b, 6815744), "6.5 MiB");
	CHECK_STR(fmt_bytes(b, 3ull << 30), "3.0 GiB");
	CHECK_STR(fmt_bytes(b, 5ull << 40), "5.0 TiB");
	CHECK_STR(fmt_bytes(b, UINT64_MAX), "16.0 EiB");
	CHECK_STR(fmt_bytes_opt(b, -1), "-");
	CHECK_STR(fmt_bytes_opt(b, 4096), "4.0 KiB");
	CHECK_STR(fmt_growth(b, false, 10), "-");
	CHECK_STR(fmt_growth(b, true, 0), "0 B");
	CHECK_STR(fmt_growth(b, true, 0.2), "0 B");
	CHECK_STR(fmt_growth(b, true, 655360), "+640.0 KiB");
	CHECK_STR(fmt_growth(b, true, -512), "-512 B");
	CHECK_STR(fmt_rate(b, true, 12.25), "12.2");
	CHECK_STR(fmt_rate(b, false, 12), "-");
	CHECK_STR(fmt_name(name, sizeof(name), "ucx_leak", false), "ucx_leak");
	CHECK_STR(fmt_name(name, sizeof(name), "my prog", false), "my\\040prog");
	CHECK_STR(fmt_name(name, sizeof(name), "my prog", true), "my prog");
	CHECK_STR(fmt_name(name, sizeof(name), "a\\b\t\x7f", true),
		  "a\\134b\\011\\177");
	CHECK_STR(fmt_name(name, sizeof(name), "", false), "\\000");
	CHECK_STR(fmt_name(name, 6, "abcdefgh", false), "abcde");
	CHECK_STR(fmt_name(name, 6, "ab\ncdefgh", false), "ab");
	return check_report("test_format");
}
