// SPDX-License-Identifier: MIT
/*
 * Prints what the UML guest kernel depends on in the host CPU, for the logs of
 * the UML tests (tests/uml/uml.sh):
 *
 *   cpu: Intel(R) Xeon(R) Processor; xsave: cpuid 11008 (max 11008), regset 11008
 *
 * "cpuid" is CPUID leaf 0xD sub-leaf 0 EBX (the XSAVE area of the features
 * enabled in XCR0; ECX in parentheses: of all the CPU supports). "regset" is
 * the size of NT_X86_XSTATE as ptrace gives it for a child process: the exact
 * size PTRACE_SETREGSET demands back, and the number UML must transfer
 * (tests/uml/patches/0002-um-x86-xsave-size-from-host.patch).  Exits 0 unless
 * it cannot measure.
 */
#include <cpuid.h>
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static void print_cpu_model(void)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (f) {
		while (fgets(line, sizeof(line), f)) {
			char *colon = strchr(line, ':');

			if (strncmp(line, "model name", 10) != 0 || !colon)
				continue;
			line[strcspn(line, "\n")] = '\0';
			printf("cpu: %s; ", colon + 2);
			fclose(f);
			return;
		}
		fclose(f);
	}
	printf("cpu: unknown; ");
}

/* NT_X86_XSTATE's size for a stopped child, or -errno. */
static long regset_size(void)
{
	static unsigned char buf[64 * 1024];
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	int status;
	long ret;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0)
			raise(SIGSTOP);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) {
		ret = -ECHILD;
	} else if (ptrace(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &iov) < 0) {
		ret = -errno;
	} else {
		ret = (long)iov.iov_len;
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return ret;
}

int main(void)
{
	unsigned int eax, ebx, ecx, edx;
	long regset;

	print_cpu_model();
	if (!__get_cpuid_count(0xd, 0, &eax, &ebx, &ecx, &edx)) {
		printf("xsave: no CPUID leaf 0xD\n");
		return 1;
	}
	regset = regset_size();
	if (regset < 0) {
		printf("xsave: cpuid %u (max %u), regset unknown (%s)\n", ebx, ecx,
		       strerror((int)-regset));
		return 1;
	}
	printf("xsave: cpuid %u (max %u), regset %ld\n", ebx, ecx, regset);
	return 0;
}
