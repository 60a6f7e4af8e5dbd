/*
 * process_metrics.c — the standard process_* metrics every Prometheus client
 * library exports (resident and virtual memory, CPU time, start time, open
 * and maximum file descriptors), read from /proc/self on each scrape and
 * appended to /metrics by the herder (ks_herder_metrics). Linux only; a
 * value that cannot be read is left out rather than reported as 0.
 */
#include "worker.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Boot time in seconds since the epoch (btime in /proc/stat); -1 unknown. */
static long long boot_time(void)
{
	char line[256];
	long long bt = -1;
	FILE *f = fopen("/proc/stat", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "btime %lld", &bt) == 1)
			break;
	fclose(f);
	return bt;
}

static long open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	long n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the descriptor of the listing itself */
}

static void family(ks_buf_t *out, const char *name, const char *type, const char *help)
{
	ks_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void ks_process_metrics(ks_buf_t *out)
{
	char buf[1024];
	size_t n;
	FILE *f = fopen("/proc/self/stat", "r");
	long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	unsigned long long utime = 0, stime = 0, start = 0, vsize = 0;
	long long rss = 0, bt = boot_time();
	long fds = open_fds();
	struct rlimit rl;
	int have_stat = 0;

	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		/* fields after the command name, which may hold spaces: from the
		 * last ')' on, field 3 (state) is first */
		char *p = strrchr(buf, ')');
		if (p && sscanf(p + 2,
		                "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d "
		                "%*d %*d %*d %llu %llu %lld",
		                &utime, &stime, &start, &vsize, &rss) == 5)
			have_stat = 1;
	}
	if (have_stat && tck > 0) {
		family(out, "process_cpu_seconds_total", "counter",
		       "Total user and system CPU time spent in seconds.");
		ks_buf_printf(out, "process_cpu_seconds_total %.2f\n",
		              (double)(utime + stime) / (double)tck);
	}
	if (have_stat) {
		family(out, "process_virtual_memory_bytes", "gauge",
		       "Virtual memory size in bytes.");
		ks_buf_printf(out, "process_virtual_memory_bytes %llu\n", vsize);
		family(out, "process_resident_memory_bytes", "gauge",
		       "Resident memory size in bytes.");
		ks_buf_printf(out, "process_resident_memory_bytes %lld\n", rss * (long long)page);
	}
	if (have_stat && tck > 0 && bt >= 0) {
		family(out, "process_start_time_seconds", "gauge",
		       "Start time of the process since unix epoch in seconds.");
		ks_buf_printf(out, "process_start_time_seconds %.2f\n",
		              (double)bt + (double)start / (double)tck);
	}
	if (fds >= 0) {
		family(out, "process_open_fds", "gauge", "Number of open file descriptors.");
		ks_buf_printf(out, "process_open_fds %ld\n", fds);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		family(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
		if (rl.rlim_cur == RLIM_INFINITY)
			ks_buf_puts(out, "process_max_fds +Inf\n");
		else
			ks_buf_printf(out, "process_max_fds %llu\n",
			              (unsigned long long)rl.rlim_cur);
	}
}
