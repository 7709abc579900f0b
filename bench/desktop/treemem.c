// treemem: the memory a set of processes occupies, each physical page
// counted once however many of them map it.
//
// PSS splits a shared page among every process on the machine that maps
// it, so the PSS of a window's processes drops when some other WebKit
// program runs at the same time (it shares libwebkit2gtk, JavaScriptCore,
// LLVM...). This counts the distinct resident pages of the given processes
// from /proc/PID/pagemap: equal to the sum of their PSS when nothing else
// shares their pages, and independent of what else runs. Needs root (the
// kernel hides page frame numbers from others).
//
// Usage: treemem PID...   prints: unique_kib=N file_kib=N anon_kib=N
// (file: pages first seen in a file mapping; anon: the rest).
//
// Build: cc -O2 -o treemem treemem.c
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t *set;
static size_t cap = 1 << 16, used;

static int add(uint64_t pfn) { // 1 if new
	if (used * 2 >= cap) {
		uint64_t *old = set;
		size_t oldcap = cap;
		cap *= 2;
		set = calloc(cap, sizeof *set);
		used = 0;
		for (size_t i = 0; i < oldcap; i++)
			if (old[i]) add(old[i] - 1);
		free(old);
	}
	uint64_t v = pfn + 1;
	size_t h = (size_t)((v * 0x9e3779b97f4a7c15ull) >> 20) & (cap - 1);
	while (set[h]) {
		if (set[h] == v) return 0;
		h = (h + 1) & (cap - 1);
	}
	set[h] = v;
	used++;
	return 1;
}

int main(int argc, char **argv) {
	long page = sysconf(_SC_PAGESIZE);
	uint64_t file_pages = 0, anon_pages = 0;
	set = calloc(cap, sizeof *set);
	for (int a = 1; a < argc; a++) {
		char path[64], line[4096];
		snprintf(path, sizeof path, "/proc/%s/maps", argv[a]);
		FILE *maps = fopen(path, "r");
		snprintf(path, sizeof path, "/proc/%s/pagemap", argv[a]);
		int pm = open(path, O_RDONLY);
		if (!maps || pm < 0) { // the process is gone
			if (maps) fclose(maps);
			if (pm >= 0) close(pm);
			continue;
		}
		while (fgets(line, sizeof line, maps)) {
			unsigned long start, end;
			char perms[8] = "", name[4096] = "";
			if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %4095[^\n]", &start, &end, perms, name) < 3) continue;
			if (strncmp(perms, "---", 3) == 0) continue; // reservations: nothing resident
			if (strcmp(name, "[vsyscall]") == 0) continue;
			char *n = name;
			while (*n == ' ') n++;
			int file = *n == '/';
			uint64_t buf[512];
			for (unsigned long addr = start; addr < end;) {
				size_t count = (end - addr) / page;
				if (count > 512) count = 512;
				ssize_t got = pread(pm, buf, count * 8, (off_t)(addr / page) * 8);
				if (got <= 0) break;
				for (ssize_t i = 0; i < got / 8; i++) {
					uint64_t e = buf[i];
					if (!(e >> 63 & 1)) continue; // not present (swapped pages are not counted)
					uint64_t pfn = e & ((1ull << 55) - 1);
					if (pfn == 0) { fprintf(stderr, "treemem: page frame numbers hidden (not root?)\n"); return 1; }
					if (add(pfn)) {
						if (file) file_pages++;
						else anon_pages++;
					}
				}
				addr += (unsigned long)(got / 8) * page;
			}
		}
		fclose(maps);
		close(pm);
	}
	printf("unique_kib=%llu file_kib=%llu anon_kib=%llu\n",
	       (unsigned long long)((file_pages + anon_pages) * page / 1024),
	       (unsigned long long)(file_pages * page / 1024), (unsigned long long)(anon_pages * page / 1024));
	return 0;
}
