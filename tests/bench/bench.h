/* SPDX-License-Identifier: MIT */
/*
 * vsomm-bench internals: options, the result list every case fills, and CPU
 * accounting of other processes (the compositor, a proxy) during a case.
 */
#ifndef VSOMM_TESTS_BENCH_H
#define VSOMM_TESTS_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "client.h"

#define BENCH_MAX_RESULTS 64
#define BENCH_MAX_PIDS 8
#define BENCH_KEY_MAX 64

struct bench_options {
	const char *case_name;
	long iterations;      /* roundtrip; messages when iterations_set */
	bool iterations_set;  /* -n given */
	double seconds;       /* messages, shm-*, cpu */
	int32_t width, height; /* shm-* */
	int buffers;          /* shm-* */
	const char *hist_path; /* roundtrip */
	long objects;         /* roundtrip: live wl_regions kept during the case */
	double fps;           /* shm-*: commit at this rate (0: as fast as released) */
	bool paced;           /* shm-*: a frame each time the last one's frame callback fires */
	bool json;
};

struct bench_result {
	char key[BENCH_KEY_MAX];
	double value;
	int decimals;
};

struct bench_results {
	struct bench_result items[BENCH_MAX_RESULTS];
	int count;
};

/** A process tree whose CPU time a case reports (--pid [LABEL=]PID|parent). */
struct bench_cpu_target {
	char label[32];
	pid_t pid;
	/* Per-process utime+stime (ticks) of the tree at bench_cpu_start(). */
	struct bench_cpu_sample *start;
	int start_count;
	double ms; /* filled by bench_cpu_stop() */
};

struct bench_cpu {
	struct bench_cpu_target targets[BENCH_MAX_PIDS];
	int count;
	double self_ms;
	int64_t self_start_us;
};

/** Append a figure; keys longer than BENCH_KEY_MAX - 1 are cut. */
void bench_result(struct bench_results *r, const char *key, double value, int decimals);

/** Parse "[LABEL=]PID|parent[,…]"; prints why on failure. */
bool bench_cpu_parse(struct bench_cpu *cpu, const char *spec);
/** Snapshot the CPU time of every target's tree and of this process. */
void bench_cpu_start(struct bench_cpu *cpu);
/** Compute each target's CPU time since bench_cpu_start(). */
void bench_cpu_stop(struct bench_cpu *cpu);
/** Add cpu_LABEL_ms (and cpu_LABEL_us_per_frame when frames > 0) figures. */
void bench_cpu_report(struct bench_cpu *cpu, struct bench_results *r, long frames);
void bench_cpu_finish(struct bench_cpu *cpu);

/** shm-full / shm-damage: frames per second paced by wl_buffer.release. */
bool bench_shm(const struct bench_options *opt, bool full, struct bench_cpu *cpu,
	       struct bench_results *r);

#endif
