// SPDX-License-Identifier: GPL-2.0
/*
 * uw_signal - marked mmaps (uw.h) made inside signal handlers, so that the
 * stack crosses the sigreturn trampoline (libc's __restore_rt on x86-64,
 * the vDSO's __kernel_rt_sigreturn on arm64), built -O2
 * -fomit-frame-pointer (tests/guest/Makefile).
 *
 *   k  path below main
 *   0  s_a1 s_a2 raise(SIGALRM) | on_alrm sh1 sh2 map_len
 *   1  s_b1 s_b2 (spins in spin_step until the handler ran) | SIGALRM of a
 *      timer, wherever it interrupts the loop: on_alrm sh_async map_len
 *   2  s_c1 raise(SIGUSR1) | on_usr1, on an alternate signal stack
 *      (sigaltstack, SA_ONSTACK), sh_alt map_len
 *   3  s_d1 raise(SIGUSR2) | on_usr2 sd_h raise(SIGALRM) | on_alrm sh1 sh2
 *      map_len: two signal frames
 */
#include "uw.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#define NI __attribute__((noipa))

static volatile uintptr_t sink;
static volatile sig_atomic_t mode, handled;

NI static void die(const char *what)
{
	fprintf(stderr, "uw_signal: %s failed\n", what);
	exit(1);
}

NI void *map_len(int k)
{
	void *p = mmap(NULL, UW_MARK_LEN(k), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

LINK(sh2, map_len)
LINK(sh1, sh2)
LINK(sh_async, map_len)
LINK(sh_alt, map_len)

NI void on_alrm(int sig)
{
	(void)sig;
	if (mode == 1)
		sink += (uintptr_t)sh_async(mode);
	else
		sink += (uintptr_t)sh1(mode);
	handled++;
}

NI void on_usr1(int sig)
{
	(void)sig;
	sink += (uintptr_t)sh_alt(mode);
	handled++;
}

NI void sd_h(void)
{
	if (raise(SIGALRM))
		die("raise SIGALRM");
	sink += 1;
}

NI void on_usr2(int sig)
{
	(void)sig;
	sd_h();
	sink += 2;
}

NI static void handle(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL))
		die("sigaction");
}

NI void s_a2(void)
{
	if (raise(SIGALRM))
		die("raise");
	sink += 1;
}

NI void s_a1(void)
{
	s_a2();
	sink += 1;
}

NI void spin_step(void)
{
	sink += 1;
}

NI void s_b2(void)
{
	while (!handled)
		spin_step();
	sink += 1;
}

NI void s_b1(void)
{
	struct itimerval it = { .it_value = { .tv_usec = 20000 } };

	if (setitimer(ITIMER_REAL, &it, NULL))
		die("setitimer");
	s_b2();
	sink += 1;
}

NI void s_c1(void)
{
	if (raise(SIGUSR1))
		die("raise SIGUSR1");
	sink += 1;
}

NI void s_d1(void)
{
	if (raise(SIGUSR2))
		die("raise SIGUSR2");
	sink += 1;
}

static char altstack[64 << 10] __attribute__((aligned(16)));

int main(void)
{
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };

	if (sigaltstack(&ss, NULL))
		die("sigaltstack");
	handle(SIGALRM, on_alrm, 0);
	handle(SIGUSR1, on_usr1, SA_ONSTACK);
	handle(SIGUSR2, on_usr2, 0);

	mode = 0;
	s_a1();
	mode = 1;
	handled = 0;
	s_b1();
	mode = 2;
	s_c1();
	mode = 3;
	s_d1();
	if (handled != 3)
		die("the handlers' count");
	return 0;
}
