// SPDX-License-Identifier: MIT
/*
 * CPU time of other processes during a case, from /proc/PID/stat
 * (utime + stime).  A target counts with all its descendants, so a proxy that
 * forks per connection (waypipe) is measured whole: per process, the time
 * since the start snapshot, or all of it for a process born meanwhile.  Time
 * of a descendant that exits during the case is lost (an approximation the
 * long-lived processes measured here do not hit).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench.h"

struct bench_cpu_sample {
	pid_t pid, ppid;
	uint64_t ticks;
	bool in_tree;
};

struct proc_table {
	struct bench_cpu_sample *procs;
	int count, capacity;
};

static bool read_stat(pid_t pid, struct bench_cpu_sample *s)
{
	char path[64], buf[1024], *p;
	unsigned long utime, stime;
	int ppid;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* comm may contain anything, ")" included: parse after the last one. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ppid,
			 &utime, &stime) != 3)
		return false;
	*s = (struct bench_cpu_sample){ .pid = pid, .ppid = ppid, .ticks = utime + stime };
	return true;
}

static void table_finish(struct proc_table *t)
{
	free(t->procs);
	*t = (struct proc_table){ 0 };
}

static bool table_read(struct proc_table *t)
{
	struct dirent *e;
	DIR *dir;

	*t = (struct proc_table){ 0 };
	dir = opendir("/proc");
	if (!dir)
		return false;
	while ((e = readdir(dir))) {
		struct bench_cpu_sample s;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		if (!read_stat((pid_t)atoi(e->d_name), &s))
			continue;
		if (t->count == t->capacity) {
			int cap = t->capacity ? t->capacity * 2 : 256;
			void *procs = realloc(t->procs, (size_t)cap * sizeof(*t->procs));

			if (!procs) {
				closedir(dir);
				table_finish(t);
				return false;
			}
			t->procs = procs;
			t->capacity = cap;
		}
		t->procs[t->count++] = s;
	}
	closedir(dir);
	return true;
}

/*
 * Mark root and its descendants, except this process and its own descendants
 * (a proxy launcher is our parent: its tree holds us); returns how many.
 */
static int table_mark_tree(struct proc_table *t, pid_t root)
{
	pid_t self = getpid();
	int marked = 0;
	bool changed = true;

	for (int i = 0; i < t->count; i++) {
		t->procs[i].in_tree = t->procs[i].pid == root && root != self;
		marked += t->procs[i].in_tree;
	}
	while (changed) {
		changed = false;
		for (int i = 0; i < t->count; i++) {
			if (t->procs[i].in_tree || t->procs[i].pid == self)
				continue;
			for (int j = 0; j < t->count; j++) {
				if (t->procs[j].in_tree && t->procs[j].pid == t->procs[i].ppid) {
					t->procs[i].in_tree = changed = true;
					marked++;
					break;
				}
			}
		}
	}
	return marked;
}

bool bench_cpu_parse(struct bench_cpu *cpu, const char *spec)
{
	char *copy = strdup(spec), *save = NULL, *item;
	bool ok = false;

	if (!copy)
		return false;
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		struct bench_cpu_target *t;
		char *eq = strchr(item, '='), *value = eq ? eq + 1 : item, *end;
		long pid;

		if (cpu->count == BENCH_MAX_PIDS) {
			fprintf(stderr, "vsomm-bench: at most %d --pid targets\n", BENCH_MAX_PIDS);
			goto out;
		}
		t = &cpu->targets[cpu->count];
		*t = (struct bench_cpu_target){ 0 };
		if (strcmp(value, "parent") == 0) {
			pid = getppid();
		} else {
			errno = 0;
			pid = strtol(value, &end, 10);
			if (errno || end == value || *end || pid <= 0) {
				fprintf(stderr, "vsomm-bench: bad pid '%s'\n", value);
				goto out;
			}
		}
		if (eq) {
			*eq = '\0';
			if (!*item || strspn(item, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
					      strlen(item) || strlen(item) >= sizeof(t->label)) {
				fprintf(stderr, "vsomm-bench: bad label '%s' ([a-z0-9_]+)\n", item);
				goto out;
			}
			snprintf(t->label, sizeof(t->label), "%s", item);
		} else {
			snprintf(t->label, sizeof(t->label), "pid%ld", pid);
		}
		t->pid = (pid_t)pid;
		cpu->count++;
	}
	ok = true;
out:
	free(copy);
	return ok;
}

static int64_t self_cpu_us(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	       ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

void bench_cpu_start(struct bench_cpu *cpu)
{
	struct proc_table t;

	cpu->self_start_us = self_cpu_us();
	if (cpu->count == 0 || !table_read(&t))
		return;
	for (int i = 0; i < cpu->count; i++) {
		struct bench_cpu_target *target = &cpu->targets[i];
		int n = table_mark_tree(&t, target->pid), k = 0;

		free(target->start);
		target->start_count = 0;
		target->start = n ? calloc((size_t)n, sizeof(*target->start)) : NULL;
		if (!target->start)
			continue;
		for (int j = 0; j < t.count; j++) {
			if (t.procs[j].in_tree)
				target->start[k++] = t.procs[j];
		}
		target->start_count = k;
	}
	table_finish(&t);
}

void bench_cpu_stop(struct bench_cpu *cpu)
{
	long hz = sysconf(_SC_CLK_TCK);
	struct proc_table t;

	cpu->self_ms = (double)(self_cpu_us() - cpu->self_start_us) / 1000.0;
	if (cpu->count == 0 || !table_read(&t))
		return;
	if (hz <= 0)
		hz = 100;
	for (int i = 0; i < cpu->count; i++) {
		struct bench_cpu_target *target = &cpu->targets[i];
		uint64_t ticks = 0;

		target->ms = -1;
		if (!target->start || table_mark_tree(&t, target->pid) == 0)
			continue;
		for (int j = 0; j < t.count; j++) {
			uint64_t before = 0;

			if (!t.procs[j].in_tree)
				continue;
			for (int k = 0; k < target->start_count; k++) {
				if (target->start[k].pid == t.procs[j].pid)
					before = target->start[k].ticks;
			}
			if (t.procs[j].ticks > before)
				ticks += t.procs[j].ticks - before;
		}
		target->ms = (double)ticks * 1000.0 / (double)hz;
	}
	table_finish(&t);
}

void bench_cpu_report(struct bench_cpu *cpu, struct bench_results *r, long frames)
{
	char key[BENCH_KEY_MAX];

	bench_result(r, "cpu_self_ms", cpu->self_ms, 1);
	if (frames > 0)
		bench_result(r, "cpu_self_us_per_frame", cpu->self_ms * 1000.0 / (double)frames, 1);
	for (int i = 0; i < cpu->count; i++) {
		struct bench_cpu_target *target = &cpu->targets[i];

		if (target->ms < 0) {
			fprintf(stderr, "vsomm-bench: pid %d (%s) vanished\n", (int)target->pid,
				target->label);
			continue;
		}
		snprintf(key, sizeof(key), "cpu_%s_ms", target->label);
		bench_result(r, key, target->ms, 1);
		if (frames > 0) {
			snprintf(key, sizeof(key), "cpu_%s_us_per_frame", target->label);
			bench_result(r, key, target->ms * 1000.0 / (double)frames, 1);
		}
	}
}

void bench_cpu_finish(struct bench_cpu *cpu)
{
	for (int i = 0; i < cpu->count; i++) {
		free(cpu->targets[i].start);
		cpu->targets[i].start = NULL;
	}
}
