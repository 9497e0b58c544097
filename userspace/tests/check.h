/* SPDX-License-Identifier: GPL-2.0 */
/*
 * check.h - the unit tests' CHECK macros; each test program ends with
 * check_report(), which prints "NAME: N passed, N failed".
 */
#ifndef ANONTOP_CHECK_H
#define ANONTOP_CHECK_H

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int check_pass, check_fail;

#define CHECK(cond) do {						\
	if (cond) {							\
		check_pass++;						\
	} else {							\
		check_fail++;						\
		fprintf(stderr, "%s:%d: CHECK(%s) failed\n",		\
			__FILE__, __LINE__, #cond);			\
	}								\
} while (0)

#define CHECK_STR(a, b) do {						\
	const char *a_ = (a), *b_ = (b);				\
	if (a_ && b_ && !strcmp(a_, b_)) {				\
		check_pass++;						\
	} else {							\
		check_fail++;						\
		fprintf(stderr, "%s:%d: %s is \"%s\", want \"%s\"\n",	\
			__FILE__, __LINE__, #a, a_ ? a_ : "(null)",	\
			b_ ? b_ : "(null)");				\
	}								\
} while (0)

#define CHECK_U64(a, b) do {						\
	uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);		\
	if (a_ == b_) {							\
		check_pass++;						\
	} else {							\
		check_fail++;						\
		fprintf(stderr, "%s:%d: %s is %" PRIu64 " (%#" PRIx64	\
			"), want %" PRIu64 " (%#" PRIx64 ")\n",		\
			__FILE__, __LINE__, #a, a_, a_, b_, b_);	\
	}								\
} while (0)

/* Write @text to @dir/@name (a fixture); exits the test on error. */
/* @len bytes (NULs included) into @dir/@name, made or truncated; exits on error */
static inline void check_write_bytes(const char *dir, const char *name,
				     const void *data, size_t len)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || close(fd)) {
		perror(path);
		exit(1);
	}
}

static inline void check_write_file(const char *dir, const char *name,
				    const char *text)
{
	check_write_bytes(dir, name, text, strlen(text));
}

static inline int check_report(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, check_pass, check_fail);
	return check_fail ? 1 : 0;
}

#endif /* ANONTOP_CHECK_H */
