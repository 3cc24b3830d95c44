/* SPDX-License-Identifier: MIT */
/*
 * The tests' fd counter.  Every test that runs product code compares the count
 * before and after: a leaked shm, keymap, pipe or dmabuf fd is the classic bug of
 * a Wayland proxy (libwayland's harness checks the same after each test).
 */
#ifndef TESTS_LIB_FDS_H
#define TESTS_LIB_FDS_H

#include <stdio.h>
#include <sys/types.h>

/** The fds open in this process (from /proc/self/fd; a failed read ends the test). */
int count_fds(void);
/** The fds open in process `pid`, or -1 if its /proc/PID/fd cannot be read. */
int count_fds_of(pid_t pid);
/** List this process's open fds and their targets, one per line, to `out`. */
void print_fds(FILE *out);

#endif
