// SPDX-License-Identifier: GPL-2.0
/*
 * status.c - parser of the anonstat debugfs "status" file (see status.h).
 */
#include "status.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	return 0;
}

static int copy_word(char *dst, size_t size, const char *src)
{
	if (!src || strlen(src) >= size)
		return -EINVAL;
	strcpy(dst, src);
	return 0;
}

static int parse_probe(char *save, struct status *st)
{
	struct status_probe *p;
	char *word[5];
	int i;

	if (st->nr_probes >= STATUS_MAX_PROBES)
		return -EINVAL;
	p = &st->probes[st->nr_probes];
	for (i = 0; i < 5; i++)
		word[i] = strtok_r(NULL, " \t", &save);
	if (strtok_r(NULL, " \t", &save))
		return -EINVAL;
	if (copy_word(p->symbol, sizeof(p->symbol), word[0]) ||
	    copy_word(p->type, sizeof(p->type), word[1]) || !word[2] ||
	    parse_u64(word[3], &p->hits) || parse_u64(word[4], &p->missed))
		return -EINVAL;
	if (!strcmp(word[2], "attached"))
		p->attached = true;
	else if (!strcmp(word[2], "detached"))
		p->attached = false;
	else
		return -EINVAL;
	st->nr_probes++;
	return 0;
}

int status_parse(FILE *f, struct status *st, unsigned int *bad_line)
{
	char line[1024];
	unsigned int n = 0;

	memset(st, 0, sizeof(*st));
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *key, *val;
		size_t len = strlen(line);

		n++;
		if (len == 0 || line[len - 1] != '\n')
			goto bad;
		line[len - 1] = '\0';
		if (n == 1) {
			if (line[0] != '#')
				goto bad;
			continue;
		}
		key = strtok_r(line, " \t", &save);
		if (!key)
			goto bad;
		if (!strcmp(key, "probe")) {
			if (parse_probe(save, st))
				goto bad;
			continue;
		}
		val = strtok_r(NULL, " \t", &save);
		if (!strcmp(key, "version")) {
			if (copy_word(st->version, sizeof(st->version), val))
				goto bad;
		} else if (!strcmp(key, "kernel")) {
			if (copy_word(st->kernel, sizeof(st->kernel), val))
				goto bad;
		}
		/* other keys are for newer readers: skip them */
	}
	if (n == 0 || !st->version[0])
		goto bad_end;
	return 0;
bad_end:
	n++;
bad:
	*bad_line = n;
	return -EINVAL;
}
