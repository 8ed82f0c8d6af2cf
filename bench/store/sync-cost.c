/*
 * sync-cost - what one durable commit costs on this disk, without SQLite:
 * PAGES frames (a 24-byte header and a page of PAGE_SIZE bytes, as SQLite's
 * WAL writes them) appended to FILE, then one fdatasync(), COMMITS times.
 * Prints the wall time per commit and the part of it spent in fdatasync.
 * bench/milter/run's sync floor appends one 4 KB page a message; an inbound
 * message of helpdesk-milter appends about 14.7 frames of 4 KB. It must
 * never be pointed at a file that matters: FILE is truncated.
 *
 * Usage: sync-cost FILE PAGES PAGE_SIZE COMMITS
 *   cc -O2 -o /tmp/sync-cost bench/store/sync-cost.c
 *   for p in "1 4096" "15 4096" "20 1024"; do /tmp/sync-cost /var/tmp/sc.dat $p 500; done
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SYNC_COST_PAGE_MAX 65536	/* largest SQLite page */
#define SYNC_COST_FRAME_HDR 24		/* WAL frame header */

/* Monotonic milliseconds. */
static double sync_cost_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	static char buf[SYNC_COST_PAGE_MAX];
	long pages, psz, commits;
	double t0, in_sync = 0;
	off_t off = 0;
	int fd;

	if (argc != 5 || (pages = atol(argv[2])) <= 0 || (psz = atol(argv[3])) < 512 ||
	    psz > SYNC_COST_PAGE_MAX || (commits = atol(argv[4])) <= 0) {
		fprintf(stderr, "usage: %s FILE PAGES PAGE_SIZE COMMITS\n", argv[0]);
		return 2;
	}
	if ((fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		perror(argv[1]);
		return 1;
	}
	memset(buf, 'x', sizeof(buf));
	t0 = sync_cost_now();
	for (long i = 0; i < commits; i++) {
		for (long j = 0; j < pages; j++) {
			if (pwrite(fd, buf, SYNC_COST_FRAME_HDR, off) != SYNC_COST_FRAME_HDR ||
			    pwrite(fd, buf, (size_t)psz, off + SYNC_COST_FRAME_HDR) != psz) {
				perror("pwrite");
				return 1;
			}
			off += SYNC_COST_FRAME_HDR + psz;
		}
		double a = sync_cost_now();
		if (fdatasync(fd) != 0) {
			perror("fdatasync");
			return 1;
		}
		in_sync += sync_cost_now() - a;
	}
	printf("%ld x (%d + %ld) bytes a commit: %.3f ms a commit, %.3f ms of it in fdatasync\n",
	       pages, SYNC_COST_FRAME_HDR, psz, (sync_cost_now() - t0) / (double)commits,
	       in_sync / (double)commits);
	close(fd);
	return 0;
}
