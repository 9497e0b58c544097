// SPDX-License-Identifier: GPL-2.0
/*
 * fork_churn.c - N short-lived processes: fork, then in the child one of
 * exit at once, a few anonymous maps then exit, or exec of /bin/true.
 *
 * usage: fork_churn N
 * Prints "fork_churn: N processes, N exec, N failed".
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long i, n = argc > 1 ? atol(argv[1]) : 1000, failed = 0, execs = 0;

	for (i = 0; i < n; i++) {
		pid_t pid = fork();
		int status;

		if (pid < 0) {
			perror("fork_churn: fork");
			return 1;
		}
		if (i % 3 == 2)
			execs++;
		if (pid == 0) {
			switch (i % 3) {
			case 0:
				_exit(0);
			case 1:
				for (int k = 0; k < 4; k++)
					mmap(NULL, 4096 << k, PROT_READ | PROT_WRITE,
					     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
				_exit(0);
			default:
				execl("/bin/true", "true", (char *)NULL);
				_exit(127);
			}
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			failed++;
	}
	printf("fork_churn: %ld processes, %ld exec, %ld failed\n", n, execs,
	       failed);
	return failed ? 1 : 0;
}
