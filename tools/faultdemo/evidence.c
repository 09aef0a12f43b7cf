// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo(1): reading the kernel's view of our mappings.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "common.h"
#include "evidence.h"

int ev_pagemap(const void *addr, size_t npages, __u64 *ents)
{
	off_t off = (unsigned long)addr / fd_page_size() * sizeof(__u64);
	size_t len = npages * sizeof(__u64);
	ssize_t n;
	int fd, err;

	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, ents, len, off);
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	return (size_t)n == len ? 0 : -EIO;
}

/* One entry; 0 (not present, nothing known) if pagemap is unreadable. */
__u64 ev_pagemap_one(const void *addr)
{
	__u64 ent;

	return ev_pagemap(addr, 1, &ent) ? 0 : ent;
}

/* Pages of [addr, addr + npages pages) with a present PTE, or -errno. */
long ev_present(const void *addr, size_t npages)
{
	__u64 *ents;
	long count = 0;
	size_t i;
	int ret;

	ents = calloc(npages, sizeof(*ents));
	if (!ents)
		return -ENOMEM;
	ret = ev_pagemap(addr, npages, ents);
	for (i = 0; !ret && i < npages; i++)
		count += !!(ents[i] & PM_PRESENT);
	free(ents);
	return ret ? ret : count;
}

/*
 * Copy the value of @field in the smaps block of the vma containing
 * @addr into @buf.
 */
static int smaps_field(const void *addr, const char *field, char *buf,
		       size_t len)
{
	unsigned long a = (unsigned long)addr, start, end;
	size_t flen = strlen(field), cap = 0;
	bool inside = false;
	char *line = NULL;
	int ret = -ENOENT;
	FILE *f;

	f = fopen("/proc/self/smaps", "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		/* A vma header: "start-end perms ..."; fields have no '-' first. */
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			if (inside)
				break;
			inside = a >= start && a < end;
			continue;
		}
		if (!inside || strncmp(line, field, flen) || line[flen] != ':')
			continue;
		snprintf(buf, len, "%s", line + flen + 1);
		buf[strcspn(buf, "\n")] = '\0';
		ret = 0;
		break;
	}
	free(line);
	fclose(f);
	return ret;
}

long ev_smaps_kb(const void *addr, const char *field)
{
	char buf[256];
	int ret;

	ret = smaps_field(addr, field, buf, sizeof(buf));
	return ret ? ret : strtol(buf, NULL, 10);
}

/* 1 if VmFlags of the vma at @addr has @flag, 0 if not, -errno. */
int ev_smaps_vmflag(const void *addr, const char *flag)
{
	char buf[512], *tok, *save = NULL;
	int ret;

	ret = smaps_field(addr, "VmFlags", buf, sizeof(buf));
	if (ret)
		return ret;
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		if (!strcmp(tok, flag))
			return 1;
	return 0;
}

int ev_cached(int devfd, __u64 first, size_t n, unsigned char *vec)
{
	size_t len = n * fd_page_size();
	void *map;
	int ret = 0;

	map = mmap(NULL, len, PROT_READ, MAP_SHARED, devfd,
		   (off_t)(first * fd_page_size()));
	if (map == MAP_FAILED)
		return -errno;
	if (mincore(map, len, vec))
		ret = -errno;
	munmap(map, len);
	return ret;
}

/* Pages per mincore() pass: bounds the memory a huge device would need. */
#define SCAN_CHUNK	16384UL

long ev_find_cold(int devfd, __u64 npages, __u64 from, size_t run, size_t align)
{
	unsigned char *vec;
	__u64 c, i, j, n;
	long ret = -ENOSPC;
	int err;

	if (!run || !align || run > npages)
		return -ENOSPC;
	vec = malloc(SCAN_CHUNK + run);
	if (!vec)
		return -ENOMEM;
	from = (from + align - 1) / align * align;
	for (c = from; c + run <= npages && ret == -ENOSPC; c += SCAN_CHUNK) {
		/* One chunk plus the tail a run starting in it may need. */
		n = npages - c < SCAN_CHUNK + run ? npages - c : SCAN_CHUNK + run;
		err = ev_cached(devfd, c, n, vec);
		if (err) {
			ret = err;
			break;
		}
		for (i = 0; i < SCAN_CHUNK && i + run <= n; i += align) {
			for (j = 0; j < run && !(vec[i + j] & 1); j++)
				;
			if (j == run) {
				ret = c + i;
				break;
			}
		}
	}
	free(vec);
	return ret;
}

/*
 * mm/memory.c do_fault_around() (6.12; 6.1 computes the same range):
 * the window is @nr pages aligned in the virtual address space, clipped
 * to the vma and to the page table that holds the faulting PTE.
 */
void ev_fault_around_window(unsigned long vma_start, size_t vma_pages,
			    size_t idx, size_t nr, size_t *first, size_t *last)
{
	size_t ptrs = fd_page_size() / sizeof(__u64);	/* PTRS_PER_PTE */
	size_t pte_off = (vma_start / fd_page_size() + idx) & (ptrs - 1);
	size_t from, to, lim;

	if (!nr)
		nr = 1;
	from = pte_off / nr * nr;
	lim = pte_off - (pte_off < idx ? pte_off : idx);
	if (from < lim)
		from = lim;
	to = from + nr;
	if (to > ptrs)
		to = ptrs;
	lim = pte_off + vma_pages - idx;
	if (to > lim)
		to = lim;
	*first = idx - (pte_off - from);
	*last = idx + (to - 1 - pte_off);
}

/*
 * Map @len bytes of @fd at an address aligned to @align (a power of
 * two), so that a fault-around window lies where we want it.
 */
void *ev_mmap_aligned(int fd, size_t len, int prot, int flags, off_t off,
		      size_t align)
{
	size_t span = len + align;
	char *res, *addr, *p;
	int err;

	res = mmap(NULL, span, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		return MAP_FAILED;
	addr = (char *)(((unsigned long)res + align - 1) & ~(align - 1));
	p = mmap(addr, len, prot, flags | MAP_FIXED, fd, off);
	if (p == MAP_FAILED) {
		err = errno;
		munmap(res, span);
		errno = err;
		return MAP_FAILED;
	}
	if (addr > res)
		munmap(res, addr - res);
	if (res + span > addr + len)
		munmap(addr + len, res + span - (addr + len));
	return p;
}

/*
 * Map every page of our executable mappings by reading it. fork() does
 * not copy the page tables of file mappings without anonymous pages: a
 * child faults its text back in on first use, and would count that in
 * its measured step. Reads only: a write would break copy-on-write.
 */
void ev_populate_text(void)
{
	unsigned long start, end, a;
	char line[512], perms[8];
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) != 3)
			continue;
		if (perms[0] != 'r' || perms[2] != 'x')
			continue;
		for (a = start; a < end; a += fd_page_size())
			(void)__atomic_load_n((const char *)a, __ATOMIC_RELAXED);
	}
	fclose(f);
}
