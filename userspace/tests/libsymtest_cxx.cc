// SPDX-License-Identifier: GPL-2.0
/*
 * libsymtest_cxx.cc - the C++ library test_symbols demangles names in: a
 * method of a class in a namespace, a member of a class template and a
 * function template (instantiated here), an operator, and a C function;
 * each long enough for an offset of 0x10 to stay inside it.  The Rust and
 * the bogus names are in symtest_mangled.S, linked into it.
 */
#include <cstddef>

volatile int symtest_cxx_sink;

#define BODY								\
	do {								\
		for (int i = 0; i < n; i++)				\
			symtest_cxx_sink += i * 3 + symtest_cxx_sink / 7; \
	} while (0)

namespace ucx {
class Pool {
public:
	int grow(unsigned long n);
};

int Pool::grow(unsigned long n)
{
	BODY;
	return symtest_cxx_sink;
}
} // namespace ucx

namespace ns {
template <typename T> struct Box {
	int push(const T &v);
};

template <typename T> int Box<T>::push(const T &v)
{
	int n = (int)v;

	BODY;
	return symtest_cxx_sink;
}

template <typename T, std::size_t N> int fill(T *v)
{
	int n = (int)N;

	BODY;
	v[0] = (T)symtest_cxx_sink;
	return n;
}

struct Vec {
	int x;
	bool operator==(const Vec &o) const;
};

bool Vec::operator==(const Vec &o) const
{
	int n = o.x;

	BODY;
	return x == symtest_cxx_sink;
}

template struct Box<int>;
template int fill<double, 4>(double *);
} // namespace ns

extern "C" int symtest_plain(int n)
{
	BODY;
	return symtest_cxx_sink;
}
