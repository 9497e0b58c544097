/* SPDX-License-Identifier: GPL-2.0 */
/*
 * format.h - numbers and names as people read them: byte counts in binary
 * units ("12.5 MiB"), signed growth ("+4.0 KiB"), rates, and process names
 * made safe for a terminal or a whitespace-separated column.
 */
#ifndef ANONTOP_FORMAT_H
#define ANONTOP_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FMT_MAX 32

/* "0 B", "512 B", "4.0 KiB", "1023.9 MiB", "2.0 TiB" */
char *fmt_bytes(char buf[FMT_MAX], uint64_t bytes);
/* fmt_bytes of -1 (unknown) is "-" */
char *fmt_bytes_opt(char buf[FMT_MAX], int64_t bytes);
/* "+4.0 KiB", "-512 B", "0 B"; "-" when !@known */
char *fmt_growth(char buf[FMT_MAX], bool known, double bytes);
/* "12.5"; "-" when !@known */
char *fmt_rate(char buf[FMT_MAX], bool known, double per_s);

/*
 * @s with bytes outside 0x21..0x7e (and '\') as \ooo, like the module
 * writes comm: one column of text output.  @allow_space keeps spaces
 * (for the terminal, where a name need not be one word).
 */
char *fmt_name(char *buf, size_t size, const char *s, bool allow_space);

/*
 * Length of the valid UTF-8 sequence that starts at @s, or 0 when it is not
 * one: no overlong forms, no surrogates, nothing past U+10FFFF (what JSON
 * readers and Prometheus, through Go's utf8.ValidString, accept).
 */
size_t utf8_seq_len(const unsigned char *s);

#endif /* ANONTOP_FORMAT_H */
