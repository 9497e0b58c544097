// SPDX-License-Identifier: GPL-2.0
/*
 * libsymtest.c - the shared library test_symbols names addresses in: two
 * exported functions (in .dynsym and .symtab) and a static one (.symtab
 * only), each long enough for an offset of 0x20 to stay inside it.
 */
#include <stdint.h>

volatile int symtest_sink;

#define BODY								\
	do {								\
		int i;							\
		for (i = 0; i < n; i++)					\
			symtest_sink += i * 3 + symtest_sink / 7;	\
	} while (0)

int symtest_alpha(int n)
{
	BODY;
	return symtest_sink;
}

static __attribute__((noinline, used)) int symtest_hidden(int n)
{
	BODY;
	return symtest_sink + 1;
}

int symtest_beta(int n)
{
	BODY;
	return symtest_hidden(n) + 2;
}

/* the static function's address, for the test */
uintptr_t symtest_hidden_addr(void)
{
	return (uintptr_t)symtest_hidden;
}
