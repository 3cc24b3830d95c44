// SPDX-License-Identifier: MIT
/*
 * vsomm-bench: micro-benchmarks of a Wayland path (direct, through vsomm,
 * through waypipe), plain libwayland-client + xdg-shell.
 *
 *   --case roundtrip   N (-n, default 20000) wl_display_roundtrip()s, each timed:
 *                      roundtrip_p50_us, _p90_us, _p99_us, _mean_us, _min_us,
 *                      _max_us; --hist FILE writes every sample (µs, one a line);
 *                      --objects N keeps N wl_regions alive meanwhile
 *   --case messages    wl_compositor.create_region + wl_region.add +
 *                      wl_region.destroy in a loop, a roundtrip every 1000, for
 *                      --seconds (or -n N: N loops, rounded up to 1000; for
 *                      profiles): messages_per_s counts those 3 requests and the
 *                      wl_display.delete_id event each destroy brings back
 *   --case shm-full    frames/s of a wl_shm toplevel paced by wl_buffer.release
 *                      (or by --fps: a commit per tick, a tick without a
 *                      released buffer counts as dropped; or by --paced: the
 *                      next frame when the last one's wl_surface.frame
 *                      callback fires, the compositor's pace)
 *   --case shm-damage  (see bench-shm.c)
 *   --case cpu         nothing for --seconds: the idle CPU time of --pid targets
 *
 * With --pid [LABEL=]PID|parent[,…] every case also reports the CPU time of
 * those processes and their descendants (this process excluded: "parent" is a
 * proxy launcher that started it) during the measured part (cpu_LABEL_ms, and
 * cpu_LABEL_us_per_frame for the shm cases); cpu_self_ms is always there.
 * Output: one "key=value" line per figure, or with --json one JSON object.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

void bench_result(struct bench_results *r, const char *key, double value, int decimals)
{
	struct bench_result *item;

	if (r->count == BENCH_MAX_RESULTS)
		return;
	item = &r->items[r->count++];
	snprintf(item->key, sizeof(item->key), "%s", key);
	item->value = value;
	item->decimals = decimals;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted samples. */
static double percentile(const double *sorted, long n, double p)
{
	long rank = (long)(p / 100.0 * (double)n + 0.999999);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

static bool write_hist(const char *path, const double *samples, long n)
{
	FILE *f = fopen(path, "we");
	bool ok;

	if (!f) {
		fprintf(stderr, "vsomm-bench: %s: %s\n", path, strerror(errno));
		return false;
	}
	for (long i = 0; i < n; i++)
		fprintf(f, "%.3f\n", samples[i]);
	ok = !ferror(f);
	if (fclose(f) != 0)
		ok = false;
	if (!ok)
		fprintf(stderr, "vsomm-bench: writing %s failed\n", path);
	return ok;
}

static bool case_roundtrip(struct tclient *c, const struct bench_options *opt,
			   struct bench_cpu *cpu, struct bench_results *r)
{
	long n = opt->iterations, warmup = n / 10 < 100 ? n / 10 : 100;
	double *samples = calloc((size_t)n, sizeof(*samples)), *sorted = NULL, sum = 0;
	bool ok = false;

	struct wl_region **live = NULL;

	if (!samples)
		return false;
	if (opt->objects > 0) {
		/* Live objects the proxy (and the compositor) must keep track of. */
		live = calloc((size_t)opt->objects, sizeof(*live));
		if (!live)
			goto out;
		for (long i = 0; i < opt->objects; i++) {
			live[i] = wl_compositor_create_region(c->compositor);
			wl_region_add(live[i], (int32_t)(i % 1000), 0, 1, 1);
			if (i % 1000 == 999 && wl_display_roundtrip(c->display) < 0)
				goto err_rt;
		}
	}
	for (long i = 0; i < warmup; i++) {
		if (wl_display_roundtrip(c->display) < 0)
			goto err_rt;
	}
	bench_cpu_start(cpu);
	for (long i = 0; i < n; i++) {
		int64_t t0 = tclient_now_ns();

		if (wl_display_roundtrip(c->display) < 0)
			goto err_rt;
		samples[i] = (double)(tclient_now_ns() - t0) / 1000.0;
		sum += samples[i];
	}
	bench_cpu_stop(cpu);
	if (opt->hist_path && !write_hist(opt->hist_path, samples, n))
		goto out;
	sorted = malloc((size_t)n * sizeof(*sorted));
	if (!sorted)
		goto out;
	memcpy(sorted, samples, (size_t)n * sizeof(*sorted));
	qsort(sorted, (size_t)n, sizeof(*sorted), compare_double);
	bench_result(r, "roundtrip_n", (double)n, 0);
	bench_result(r, "roundtrip_p50_us", percentile(sorted, n, 50), 1);
	bench_result(r, "roundtrip_p90_us", percentile(sorted, n, 90), 1);
	bench_result(r, "roundtrip_p99_us", percentile(sorted, n, 99), 1);
	bench_result(r, "roundtrip_mean_us", sum / (double)n, 1);
	bench_result(r, "roundtrip_min_us", sorted[0], 1);
	bench_result(r, "roundtrip_max_us", sorted[n - 1], 1);
	bench_result(r, "roundtrip_objects", (double)opt->objects, 0);
	bench_cpu_report(cpu, r, 0);
	ok = true;
	goto out;

err_rt:
	fprintf(stderr, "vsomm-bench: roundtrip failed: %s\n", strerror(errno));
out:
	if (live) {
		for (long i = 0; i < opt->objects; i++) {
			if (live[i])
				wl_region_destroy(live[i]);
		}
		free(live);
	}
	free(sorted);
	free(samples);
	return ok;
}

static bool case_messages(struct tclient *c, const struct bench_options *opt,
			  struct bench_cpu *cpu, struct bench_results *r)
{
	int64_t start, end, deadline;
	long iterations = 0;
	double secs;

	bench_cpu_start(cpu);
	start = tclient_now_ns();
	deadline = start + (int64_t)(opt->seconds * 1e9);
	do {
		for (int i = 0; i < 1000; i++) {
			struct wl_region *region = wl_compositor_create_region(c->compositor);

			wl_region_add(region, i, i, 16, 16);
			wl_region_destroy(region);
		}
		iterations += 1000;
		/* Bounds the queue (and the proxy's) and collects the delete_ids. */
		if (wl_display_roundtrip(c->display) < 0) {
			fprintf(stderr, "vsomm-bench: roundtrip failed: %s\n", strerror(errno));
			return false;
		}
	} while (opt->iterations_set ? iterations < opt->iterations : tclient_now_ns() < deadline);
	end = tclient_now_ns();
	bench_cpu_stop(cpu);
	secs = (double)(end - start) / 1e9;
	bench_result(r, "messages_iterations", (double)iterations, 0);
	bench_result(r, "messages_seconds", secs, 3);
	bench_result(r, "messages_per_s", 4.0 * (double)iterations / secs, 0);
	bench_result(r, "messages_requests_per_s", 3.0 * (double)iterations / secs, 0);
	bench_cpu_report(cpu, r, 0);
	return true;
}

static bool case_cpu(struct tclient *c, const struct bench_options *opt, struct bench_cpu *cpu,
		     struct bench_results *r)
{
	int64_t start = tclient_now_ns(), deadline = start + (int64_t)(opt->seconds * 1e9);

	bench_cpu_start(cpu);
	/* Connected and idle: only pings and whatever the peers do on their own. */
	while (!c->stop && tclient_now_ns() < deadline) {
		if (tclient_dispatch(c, deadline) < 0)
			return false;
	}
	bench_cpu_stop(cpu);
	if (c->stop)
		return false;
	bench_result(r, "cpu_seconds", (double)(tclient_now_ns() - start) / 1e9, 3);
	bench_cpu_report(cpu, r, 0);
	return true;
}

static void print_results(const struct bench_options *opt, const struct bench_results *r)
{
	if (opt->json) {
		printf("{\"case\": \"%s\"", opt->case_name);
		for (int i = 0; i < r->count; i++)
			printf(", \"%s\": %.*f", r->items[i].key, r->items[i].decimals,
			       r->items[i].value);
		printf("}\n");
	} else {
		for (int i = 0; i < r->count; i++)
			printf("%s=%.*f\n", r->items[i].key, r->items[i].decimals,
			       r->items[i].value);
	}
	fflush(stdout);
}

static int run(const struct bench_options *opt, struct bench_cpu *cpu)
{
	struct bench_results results = { 0 };
	struct tclient client;
	bool ok;

	if (strcmp(opt->case_name, "shm-full") == 0 || strcmp(opt->case_name, "shm-damage") == 0) {
		ok = bench_shm(opt, strcmp(opt->case_name, "shm-full") == 0, cpu, &results);
	} else {
		if (!tclient_connect(&client, true))
			return 1;
		if (strcmp(opt->case_name, "roundtrip") == 0)
			ok = case_roundtrip(&client, opt, cpu, &results);
		else if (strcmp(opt->case_name, "messages") == 0)
			ok = case_messages(&client, opt, cpu, &results);
		else
			ok = case_cpu(&client, opt, cpu, &results);
		tclient_disconnect(&client);
	}
	if (!ok)
		return 1;
	print_results(opt, &results);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vsomm-bench --case roundtrip|messages|shm-full|shm-damage|cpu [options]\n"
		"  -n, --iterations N   roundtrips (roundtrip; default 20000), loops (messages)\n"
		"  --seconds S          duration (messages, shm-*, cpu; default 5)\n"
		"  --size WxH           buffer size (shm-*; default 1920x1080)\n"
		"  --buffers N          wl_shm buffers, 2-4 (shm-*; default 3)\n"
		"  --hist FILE          write every roundtrip sample in µs (roundtrip)\n"
		"  --objects N          keep N live wl_regions during the roundtrips (roundtrip)\n"
		"  --fps F              commit F frames/s instead of as fast as released (shm-*)\n"
		"  --paced              a frame per frame callback, the compositor's pace (shm-*; not with --fps)\n"
		"  --pid [LABEL=]PID|parent[,...]  report these processes' CPU time\n"
		"  --json               one JSON object instead of key=value lines\n");
}

static bool parse_double(const char *s, double min, double max, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return !errno && end != s && !*end && *out >= min && *out <= max;
}

static bool known_case(const char *name)
{
	static const char *const cases[] = { "roundtrip", "messages", "shm-full", "shm-damage",
					     "cpu" };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(name, cases[i]) == 0)
			return true;
	}
	return false;
}

int main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "case", required_argument, NULL, 'c' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 't' },
		{ "size", required_argument, NULL, 's' },
		{ "buffers", required_argument, NULL, 'b' },
		{ "hist", required_argument, NULL, 'H' },
		{ "objects", required_argument, NULL, 'o' },
		{ "fps", required_argument, NULL, 'f' },
		{ "paced", no_argument, NULL, 'P' },
		{ "pid", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct bench_options opt = {
		.iterations = 20000, .seconds = 5, .width = 1920, .height = 1080, .buffers = 3,
	};
	struct bench_cpu cpu = { 0 };
	double v;
	int c, status = 2;

	while ((c = getopt_long(argc, argv, "n:h", long_opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			opt.case_name = optarg;
			break;
		case 'n':
			if (!parse_double(optarg, 1, 1e8, &v))
				goto bad;
			opt.iterations = (long)v;
			opt.iterations_set = true;
			break;
		case 't':
			if (!parse_double(optarg, 0.01, 86400, &opt.seconds))
				goto bad;
			break;
		case 's':
			if (!tclient_parse_size(optarg, 8192, &opt.width, &opt.height))
				goto bad;
			break;
		case 'b':
			if (!parse_double(optarg, 2, 4, &v))
				goto bad;
			opt.buffers = (int)v;
			break;
		case 'o':
			if (!parse_double(optarg, 0, 1e7, &v))
				goto bad;
			opt.objects = (long)v;
			break;
		case 'f':
			if (!parse_double(optarg, 0, 10000, &opt.fps))
				goto bad;
			break;
		case 'P':
			opt.paced = true;
			break;
		case 'H':
			opt.hist_path = optarg;
			break;
		case 'p':
			if (!bench_cpu_parse(&cpu, optarg))
				goto out;
			break;
		case 'j':
			opt.json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (optind != argc || !opt.case_name || !known_case(opt.case_name) ||
	    (opt.paced && opt.fps > 0)) {
		usage(stderr);
		goto out;
	}
	status = run(&opt, &cpu);
	goto out;

bad:
	fprintf(stderr, "vsomm-bench: bad option value: %s\n", optarg);
out:
	bench_cpu_finish(&cpu);
	return status;
}
