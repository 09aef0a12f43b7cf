// SPDX-License-Identifier: GPL-2.0
/*
 * The three file-backed fault paths of /dev/faultdemo, one page each, and
 * the device's counters around them.
 *
 * Build it from the top of the tree with -I include/uapi (see README.md).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/faultdemo.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Real loads and stores that the compiler may not drop or merge. */
#define LOAD(p)		__atomic_load_n(&(p), __ATOMIC_RELAXED)
#define STORE(p, v)	__atomic_store_n(&(p), (v), __ATOMIC_RELAXED)

static const char * const counters[] = {
	"fault_read", "fault_cow", "fault_shared", "map_pages",
	"page_mkwrite", "sigbus", "readahead", "pages_cached",
};

static void show(const char *when)
{
	char path[128], buf[32];
	unsigned int i;
	FILE *f;

	printf("%-22s", when);
	for (i = 0; i < ARRAY_SIZE(counters); i++) {
		snprintf(path, sizeof(path),
			 "/sys/class/misc/faultdemo/stats/%s", counters[i]);
		f = fopen(path, "r");
		if (!f || !fgets(buf, sizeof(buf), f))
			snprintf(buf, sizeof(buf), "?");
		if (f)
			fclose(f);
		buf[strcspn(buf, "\n")] = 0;
		printf(" %s=%s", counters[i], buf);
	}
	printf("\n");
}

int main(void)
{
	struct faultdemo_clean clean = { 0 };
	long pg = sysconf(_SC_PAGESIZE);
	char *shared, *private;
	int fd;

	fd = open("/dev/faultdemo", O_RDWR);
	if (fd < 0) {
		perror("/dev/faultdemo");
		return 1;
	}
	shared = mmap(NULL, 64 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	private = mmap(NULL, 64 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (shared == MAP_FAILED || private == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	show("start");

	LOAD(shared[0]);		/* do_read_fault: .fault (+ read-ahead) */
	show("read page 0");
	LOAD(shared[pg]);		/* do_fault_around: .map_pages */
	show("read page 1");
	STORE(private[2 * pg], 'p');	/* do_cow_fault: .fault, cow_page */
	show("private write page 2");
	STORE(shared[48 * pg], 's');	/* do_shared_fault: .page_mkwrite */
	show("shared write page 48");
	STORE(shared[3 * pg], 's');	/* read-only PTE from fault-around: */
	show("shared write page 3");	/* do_wp_page -> .page_mkwrite */
	STORE(shared[3 * pg], 't');	/* writable now: no fault */
	show("shared write page 3");
	ioctl(fd, FAULTDEMO_IOC_CLEAN, &clean);	/* write back, write-protect */
	STORE(shared[3 * pg], 'u');	/* do_wp_page, .page_mkwrite again */
	show("clean + write page 3");

	printf("cleaned %llu pages; device page 2 holds %d: the private write stayed private\n",
	       (unsigned long long)clean.cleaned, LOAD(shared[2 * pg]));
	close(fd);
	return 0;
}
