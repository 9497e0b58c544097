// SPDX-License-Identifier: GPL-2.0
/*
 * leakpool.cc - a C++ pool for leaksim.c: ucx::Pool::grow(unsigned long)
 * maps memory and never gives it back (its mangled name,
 * _ZN3ucx4Pool4growEm, is what anontop demangles), built as
 * build/t/libleakpool.so.  The extern "C" functions are what leaksim calls.
 */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

namespace ucx {
struct Pool {
	static void *grow(unsigned long bytes);
};

// noinline, and long enough that grow+0x16 is inside it
__attribute__((noinline)) void *Pool::grow(unsigned long bytes)
{
	void *p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return nullptr;
	madvise(p, bytes, MADV_NOHUGEPAGE);
	memset(p, 0x5a, bytes);
	return p;
}
} // namespace ucx

extern "C" {
void *leakpool_grow(unsigned long bytes)
{
	return ucx::Pool::grow(bytes);
}

uintptr_t leakpool_grow_addr(void)
{
	return reinterpret_cast<uintptr_t>(&ucx::Pool::grow);
}
}
