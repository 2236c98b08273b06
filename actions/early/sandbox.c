// The sandbox's first process, pid 1 of its pid namespace, in C before any Go runtime starts (as
// runc's nsexec). Go cannot be what execs the command under a pids limit: its runtime makes
// threads when it likes, each one a process of pids.max, and aborts when one cannot be made. So:
//
//  1. It waits for the parent's go byte (the parent has moved it into the sandbox's cgroup and
//     wired its network), makes the cgroup namespace, and forks.
//  2. The child returns into the Go runtime (sandbox/child_linux.go) and builds the sandbox: the
//     overlay root, /proc, /sys, /dev, the binds, pivot_root (which moves this process's root
//     too), the hostname, the command's path, Docker's seccomp profile compiled to BPF. It sends
//     all that here as an exec spec and exits; a failure it reports to the parent itself.
//  3. This process, alone now and one thread, says SyncExec to the parent, which sets the
//     command's limits (pids.max, memory: exactly what was asked, with nothing of isotop's left in
//     the cgroup) and answers with a second byte; then it drops to the sandbox's capabilities,
//     sets no_new_privs and the seccomp filter, and execs the command, which is pid 1.
//  4. With --init it forks the command instead and stays pid 1 as its init (tini's job): no
//     capabilities, not dumpable, forwarding signals to the command's process group, reaping the
//     orphans the kernel hands it, exiting as the command did.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "lockdown.h"

// The descriptors of sandbox/config.go: the parent's, and the spec's from the setup child.
enum { statusFD = 3, goFD = 4, specFD = 5 };

// The signals the init forwards to the command's process group. The kernel does not deliver to a
// pid namespace's init a signal it has no handler for from inside the namespace; the init's are
// blocked and taken with sigwaitinfo, so they reach it, and it passes them on.
static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT};

// report writes a failure as a sync message (sandbox/sync.go) on the status descriptor and exits.
static void report(int code, const char *what, const char *arg, int err) {
	char text[384], msg[512];
	snprintf(text, sizeof text, "%s%s%s: %s", what, arg ? " " : "", arg ? arg : "", strerror(err));
	for (char *p = text; *p; p++) // JSON: no quote, backslash or control character to escape
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
			*p = '?';
	int n = snprintf(msg, sizeof msg, "{\"type\":\"error\",\"message\":\"%s\"}\n", text);
	if (n > 0 && write(statusFD, msg, (size_t)n) < 0) {
		// the parent is gone: nothing to tell
	}
	fprintf(stderr, "isotop sandbox: %s\n", text);
	_exit(code);
}

static void readGo(void) {
	char b = 0;
	ssize_t n;
	while ((n = read(goFD, &b, 1)) < 0 && errno == EINTR)
		;
	if (n != 1 || b != 1)
		_exit(125); // the parent gave up (it reports why) or died
}

static void sendSync(const char *type) {
	char msg[64];
	int n = snprintf(msg, sizeof msg, "{\"type\":\"%s\"}\n", type);
	if (write(statusFD, msg, (size_t)n) != n)
		_exit(125);
}

// The exec spec, as sandbox.ExecSpec.encode writes it: "isotop-exec-spec-1\0", the root's device
// and inode, the capability mask, then counted lists (path; argv; env) of NUL-ended strings, then
// the seccomp program's length in bytes and the program.
struct spec {
	unsigned long long dev, ino, caps;
	char *path;
	char **argv, **env;
	struct sock_filter *filter;
	unsigned short nfilter;
};

static char *buf, *pos, *end;

static char *next(void) {
	if (pos >= end)
		return NULL;
	char *s = pos, *z = memchr(pos, 0, (size_t)(end - pos));
	if (!z)
		return NULL;
	pos = z + 1;
	return s;
}

static int number(unsigned long long *v) {
	char *s = next(), *e;
	if (!s)
		return -1;
	errno = 0;
	*v = strtoull(s, &e, 10);
	return (errno || *e || e == s) ? -1 : 0;
}

static char **list(void) {
	unsigned long long n;
	if (number(&n) != 0 || n > 1 << 16)
		return NULL;
	char **l = calloc(n + 1, sizeof *l);
	for (unsigned long long i = 0; l && i < n; i++)
		if (!(l[i] = next()))
			return NULL;
	return l;
}

static int readSpec(int fd, struct spec *s) {
	size_t cap = 1 << 16, len = 0;
	buf = malloc(cap);
	for (;;) {
		if (len == cap && !(buf = realloc(buf, cap *= 2)))
			return -1;
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	pos = buf;
	end = buf + len;
	char *magic = next();
	if (!magic || strcmp(magic, "isotop-exec-spec-1"))
		return -1;
	char **paths;
	unsigned long long flen;
	if (number(&s->dev) || number(&s->ino) || number(&s->caps) || !(paths = list()) || !paths[0] || !(s->argv = list()) ||
	    !s->argv[0] || !(s->env = list()) || number(&flen))
		return -1;
	s->path = paths[0];
	if (flen % sizeof(struct sock_filter) || flen / sizeof(struct sock_filter) > 0xffff || (size_t)(end - pos) != flen)
		return -1;
	s->nfilter = (unsigned short)(flen / sizeof(struct sock_filter));
	s->filter = malloc(flen ? flen : 1);
	memcpy(s->filter, pos, flen);
	return 0;
}

// dropTo keeps the capabilities in mask (the effective, permitted and bounding sets; no
// inheritable, no ambient), as sandbox's Go code did before: a container's root, no more.
static void dropTo(unsigned long long mask) {
	for (int c = 0; c <= 63; c++)
		if (!(mask & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL)
			report(126, "drop capability from the bounding set", NULL, errno);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &hdr, data) != 0)
		report(126, "capget", NULL, errno);
	for (int i = 0; i < 2; i++) {
		uint32_t m = (uint32_t)(mask >> (32 * i));
		data[i].effective &= m;
		data[i].permitted &= m;
		data[i].inheritable = 0;
	}
	if (syscall(SYS_capset, &hdr, data) != 0)
		report(126, "capset", NULL, errno);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		report(126, "no_new_privs", NULL, errno);
}

// confine is what the command gets before its exec: the sandbox's capabilities, no_new_privs, and
// Docker's seccomp profile (last: it refuses much of what comes before it).
static void confine(struct spec *s) {
	dropTo(s->caps);
	if (s->nfilter) {
		struct sock_fprog prog = {s->nfilter, s->filter};
		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0)
			report(126, "loading the seccomp filter", NULL, errno);
	}
}

// init is pid 1 in front of the command (--init).
static void init(struct spec *s) {
	sigset_t all, old;
	sigemptyset(&all);
	for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		sigaddset(&all, forwarded[i]);
	sigaddset(&all, SIGCHLD);
	sigprocmask(SIG_BLOCK, &all, &old);
	int ok[2]; // closed by the command's exec: EOF says it started, an errno that it did not
	if (pipe2(ok, O_CLOEXEC) != 0)
		report(126, "pipe", NULL, errno);
	int tty = isatty(0);
	pid_t child = fork();
	if (child < 0)
		report(126, "fork for", s->argv[0], errno);
	if (child == 0) {
		close(ok[0]);
		close(statusFD);
		// A process group of its own, the terminal's foreground when there is one: ^C is for it.
		setpgid(0, 0);
		if (tty) {
			signal(SIGTTOU, SIG_IGN);
			tcsetpgrp(0, getpid());
			signal(SIGTTOU, SIG_DFL);
		}
		sigprocmask(SIG_SETMASK, &old, NULL);
		confine(s);
		execve(s->path, s->argv, s->env);
		int e = errno;
		if (write(ok[1], &e, sizeof e) < 0) {
			// nothing more to say
		}
		_exit(127);
	}
	close(ok[1]);
	int e = 0;
	ssize_t n;
	while ((n = read(ok[0], &e, sizeof e)) < 0 && errno == EINTR)
		;
	close(ok[0]);
	if (n == (ssize_t)sizeof e)
		report(127, "exec", s->path, e);
	close(statusFD); // started: the parent stops waiting for an error
	prctl(PR_SET_NAME, "isotop-init", 0, 0, 0);
	dropTo(0);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(-child, sig);
			continue;
		}
		for (;;) {
			int st;
			pid_t pid = waitpid(-1, &st, WNOHANG);
			if (pid <= 0)
				break;
			if (pid == child)
				_exit(WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st));
		}
	}
}

void isotop_sandbox_first(int withInit) {
	// Not dumpable: nothing in the sandbox may ptrace this process nor open /proc/1/exe, the
	// isotop binary on the host (CVE-2019-5736 overwrote runc through it). The exec resets it for
	// the command.
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	readGo();
	if (unshare(CLONE_NEWCGROUP) != 0) // rooted at the sandbox's cgroup, where the parent moved us
		report(126, "unshare cgroup namespace", NULL, errno);
	int sp[2];
	if (pipe2(sp, O_CLOEXEC) != 0)
		report(126, "pipe", NULL, errno);
	pid_t setup = fork();
	if (setup < 0)
		report(126, "fork", NULL, errno);
	if (setup == 0) {
		close(sp[0]);
		if (sp[1] != specFD && dup2(sp[1], specFD) < 0) // without O_CLOEXEC: the Go runtime finds it there
			_exit(126);
		if (sp[1] != specFD)
			close(sp[1]);
		close(goFD); // the second byte is this process's parent's
		return;      // into the Go runtime: sandbox/child_linux.go builds the sandbox
	}
	close(sp[1]);
	struct spec s;
	memset(&s, 0, sizeof s);
	int bad = readSpec(sp[0], &s);
	close(sp[0]);
	int st;
	while (waitpid(setup, &st, 0) < 0)
		if (errno != EINTR)
			report(126, "waitpid", NULL, errno);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) // it reported why to the parent
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	if (bad)
		report(126, "the sandbox's exec spec", "(malformed)", EINVAL);
	// pivot_root moved this process's root to the sandbox's, not its working directory: both must
	// be the new root, which the setup stat'ed, before anything runs here.
	struct stat root;
	if (chdir("/") != 0 || stat("/", &root) != 0)
		report(126, "chdir /", NULL, errno);
	if ((unsigned long long)root.st_dev != s.dev || (unsigned long long)root.st_ino != s.ino)
		report(126, "the root", "is not the sandbox's after pivot_root", EXDEV);
	sendSync("exec");
	readGo();
	close(goFD);
	if (withInit)
		init(&s);
	confine(&s);
	if (fcntl(statusFD, F_SETFD, FD_CLOEXEC) != 0) // the exec closes it: EOF says the command started
		report(126, "fcntl", NULL, errno);
	execve(s.path, s.argv, s.env);
	report(errno == ENOENT ? 127 : 126, "exec", s.path, errno);
}
