// SPDX-License-Identifier: GPL-2.0
/*
 * format.c - human units and printable names (see format.h).
 */
#include "format.h"

#include <stdio.h>

static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };

static char *scaled(char buf[FMT_MAX], const char *sign, double v)
{
	unsigned int u = 0;

	if (v < 1024) {
		snprintf(buf, FMT_MAX, "%s%.0f B", sign, v);
		return buf;
	}
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	/* 1023.96 would print as "1024.0": show it in the next unit */
	if (v >= 1023.95 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(buf, FMT_MAX, "%s%.1f %s", sign, v, units[u]);
	return buf;
}

char *fmt_bytes(char buf[FMT_MAX], uint64_t bytes)
{
	return scaled(buf, "", (double)bytes);
}

char *fmt_bytes_opt(char buf[FMT_MAX], int64_t bytes)
{
	if (bytes < 0) {
		snprintf(buf, FMT_MAX, "-");
		return buf;
	}
	return fmt_bytes(buf, (uint64_t)bytes);
}

char *fmt_growth(char buf[FMT_MAX], bool known, double bytes)
{
	if (!known) {
		snprintf(buf, FMT_MAX, "-");
		return buf;
	}
	if (bytes > -0.5 && bytes < 0.5) {
		snprintf(buf, FMT_MAX, "0 B");
		return buf;
	}
	return scaled(buf, bytes < 0 ? "-" : "+", bytes < 0 ? -bytes : bytes);
}

char *fmt_rate(char buf[FMT_MAX], bool known, double per_s)
{
	if (!known)
		snprintf(buf, FMT_MAX, "-");
	else
		snprintf(buf, FMT_MAX, "%.1f", per_s);
	return buf;
}

char *fmt_name(char *buf, size_t size, const char *s, bool allow_space)
{
	size_t n = 0;

	if (!size)
		return buf;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];
		size_t len, i;

		if ((c > 0x20 && c < 0x7f && c != '\\') || (c == ' ' && allow_space)) {
			esc[0] = (char)c;
			len = 1;
		} else {
			len = (size_t)snprintf(esc, sizeof(esc), "\\%03o", c);
		}
		if (n + len >= size)
			break;
		for (i = 0; i < len; i++)
			buf[n++] = esc[i];
	}
	if (n == 0 && !*s && size > 4) {
		snprintf(buf, size, "\\000");	/* the empty name */
		return buf;
	}
	buf[n] = '\0';
	return buf;
}

size_t utf8_seq_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}
