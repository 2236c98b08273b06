// What isotop does before the Go runtime starts, while the process still has one thread: a
// multithreaded process cannot join a user namespace, cannot setns(2) into a mount namespace from
// a thread that shares its filesystem context, and cannot restrict all of its threads at once with
// Landlock or capset(2). Go starts threads before main, so this runs as an ELF constructor (as
// runc's libcontainer/nsenter does) and is a no-op unless one of two things asks for it:
//
//   read-only mode (--read-only before any "--", or ISOTOP_READONLY=1): capabilities dropped to
//   what reading needs, no_new_privs, a Landlock domain that handles every write right and grants
//   none, and a seccomp filter against mounts, namespace changes other than the probe's network
//   ones, and other host-wide changes. Everything the process and its children do afterwards is
//   bound by the kernel, whatever the Go code does.
//
//   entering namespaces (_ISOTOP_ENTER set by `isotop enter` when it re-executes itself): setns(2)
//   into the namespace descriptors it was handed, the target's root and working directory, then
//   (after a fork when a pid namespace was entered, as nsenter(1) does) execvp of the command.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// Landlock, defined here so that older kernel headers build it; the values are the kernel's ABI.
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule 445
#define __NR_landlock_restrict_self 446
#endif

struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_FS_WRITE_FILE (1ULL << 1)
#define LL_FS_REMOVE_DIR (1ULL << 4)
#define LL_FS_REMOVE_FILE (1ULL << 5)
#define LL_FS_MAKE_CHAR (1ULL << 6)
#define LL_FS_MAKE_DIR (1ULL << 7)
#define LL_FS_MAKE_REG (1ULL << 8)
#define LL_FS_MAKE_SOCK (1ULL << 9)
#define LL_FS_MAKE_FIFO (1ULL << 10)
#define LL_FS_MAKE_BLOCK (1ULL << 11)
#define LL_FS_MAKE_SYM (1ULL << 12)
#define LL_FS_REFER (1ULL << 13)    /* ABI 2 */
#define LL_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#define LL_NET_BIND_TCP (1ULL << 0) /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ULL << 1)

// isotop_lockdown is what the lockdown achieved, read by the Go side (Go takes its environment
// from the kernel's copy, not from libc's, so setenv here would not reach it), and given to
// children in ISOTOP_LOCKDOWN.
char isotop_lockdown[256];
#define status isotop_lockdown

static void note(const char *part) {
	size_t n = strlen(status);
	snprintf(status + n, sizeof status - n, "%s%s", n ? " " : "", part);
}

// landlock restricts the process to no write anywhere: every write right of the running kernel's
// ABI is handled and no rule grants one back. Reading and executing stay allowed.
static void landlock(void) {
	long abi = syscall(__NR_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
	if (abi < 1) {
		char buf[96];
		snprintf(buf, sizeof buf, "landlock=unavailable(%s)", strerror(errno));
		note(buf);
		return;
	}
	struct ll_ruleset_attr attr = {
		.handled_access_fs = LL_FS_WRITE_FILE | LL_FS_REMOVE_DIR | LL_FS_REMOVE_FILE | LL_FS_MAKE_CHAR |
				     LL_FS_MAKE_DIR | LL_FS_MAKE_REG | LL_FS_MAKE_SOCK | LL_FS_MAKE_FIFO |
				     LL_FS_MAKE_BLOCK | LL_FS_MAKE_SYM,
	};
	size_t size = offsetof(struct ll_ruleset_attr, handled_access_net);
	if (abi >= 2)
		attr.handled_access_fs |= LL_FS_REFER;
	if (abi >= 3)
		attr.handled_access_fs |= LL_FS_TRUNCATE;
	if (abi >= 4) {
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		size = offsetof(struct ll_ruleset_attr, scoped);
	}
	if (abi >= 6) {
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;
		size = sizeof attr;
	}
	int fd = syscall(__NR_landlock_create_ruleset, &attr, size, 0);
	if (fd < 0 || syscall(__NR_landlock_restrict_self, fd, 0) != 0) {
		char buf[96];
		snprintf(buf, sizeof buf, "landlock=failed(%s)", strerror(errno));
		note(buf);
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	char buf[32];
	snprintf(buf, sizeof buf, "landlock=%ld", abi);
	note(buf);
}

// keep are the capabilities reading needs: CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH to read every
// process's /proc files and namespace links, CAP_SYS_ADMIN for setns(2) into network namespaces
// (the probe's netlink sockets; the seccomp filter below allows no other setns).
static const int keep[] = {CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH, CAP_SYS_ADMIN};

static int kept(int cap) {
	for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
		if (keep[i] == cap)
			return 1;
	return 0;
}

static void capabilities(void) {
	int last = CAP_LAST_CAP;
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	if (f) {
		if (fscanf(f, "%d", &last) != 1)
			last = CAP_LAST_CAP;
		fclose(f);
	}
	int dropped = 1;
	for (int c = 0; c <= last; c++)
		if (!kept(c) && prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1 && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0)
			dropped = 0; // not root: nothing to drop from the bounding set, and no_new_privs holds
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);

	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof data);
	if (syscall(SYS_capget, &hdr, data) != 0) {
		note("caps=failed");
		return;
	}
	uint32_t mask[2] = {0, 0};
	for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
		mask[keep[i] / 32] |= 1u << (keep[i] % 32);
	for (int i = 0; i < 2; i++) {
		data[i].permitted &= mask[i];
		data[i].effective &= mask[i];
		data[i].inheritable = 0;
	}
	if (syscall(SYS_capset, &hdr, data) != 0) {
		note("caps=failed");
		return;
	}
	note(dropped ? "caps=reading" : "caps=unprivileged");
}

// DENY_FILE refuses a file change with EACCES, the error Landlock gives for the same call.
#define DENY_FILE(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES)
#define DENY(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM)

#if defined(__x86_64__)
#define AUDIT_ARCH_SELF AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define AUDIT_ARCH_SELF AUDIT_ARCH_AARCH64
#endif

// seccomp denies (EPERM, EACCES for opens) what no reading needs: opening for writing and the
// calls that change files (Landlock's domain refuses those already: this is the second wall, and
// the only one on a kernel without Landlock), mounts, chroot and pivot_root, namespace changes
// (setns is allowed only into a network namespace), signals to other processes, and host-wide
// settings.
static void seccomp(void) {
#ifdef AUDIT_ARCH_SELF
	uint32_t self = (uint32_t)getpid();
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_SELF, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#if defined(__x86_64__)
		// x32 system calls carry their own numbers: refuse them all.
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
#endif
		// setns(fd, CLONE_NEWNET) only: the probe's netlink sockets.
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_setns, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, CLONE_NEWNET, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_setns, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		// Signals only to itself (and its own process group, as a terminal program suspends):
		// with Landlock ABI 6 its scope does the same for every process outside the domain.
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_kill, 0, 6),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, self, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)-self, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_tgkill, 0, 4),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, self, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		// Opening for writing, and every call that makes, removes, renames or re-owns a file:
		// Landlock refuses these already; this holds where the kernel has no Landlock.
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, O_WRONLY | O_RDWR | O_CREAT | O_TRUNC, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#ifdef __NR_open
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_open, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, O_WRONLY | O_RDWR | O_CREAT | O_TRUNC, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#endif
#ifdef __NR_openat2
		// openat2's flags are in a struct the filter cannot read: as if the kernel had none,
		// and callers (libc) fall back to openat.
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
#endif
		DENY_FILE(__NR_mkdirat),
		DENY_FILE(__NR_unlinkat),
		DENY_FILE(__NR_renameat),
		DENY_FILE(__NR_linkat),
		DENY_FILE(__NR_symlinkat),
		DENY_FILE(__NR_mknodat),
		DENY_FILE(__NR_truncate),
		DENY_FILE(__NR_ftruncate),
		DENY_FILE(__NR_fchmod),
		DENY_FILE(__NR_fchmodat),
		DENY_FILE(__NR_fchown),
		DENY_FILE(__NR_fchownat),
		DENY_FILE(__NR_utimensat),
		DENY_FILE(__NR_setxattr),
		DENY_FILE(__NR_lsetxattr),
		DENY_FILE(__NR_fsetxattr),
		DENY_FILE(__NR_removexattr),
		DENY_FILE(__NR_lremovexattr),
		DENY_FILE(__NR_fremovexattr),
#ifdef __NR_renameat2
		DENY_FILE(__NR_renameat2),
#endif
#ifdef __NR_creat
		DENY_FILE(__NR_creat),
		DENY_FILE(__NR_mkdir),
		DENY_FILE(__NR_rmdir),
		DENY_FILE(__NR_unlink),
		DENY_FILE(__NR_rename),
		DENY_FILE(__NR_link),
		DENY_FILE(__NR_symlink),
		DENY_FILE(__NR_mknod),
		DENY_FILE(__NR_chmod),
		DENY_FILE(__NR_chown),
		DENY_FILE(__NR_lchown),
		DENY_FILE(__NR_utime),
		DENY_FILE(__NR_utimes),
		DENY_FILE(__NR_futimesat),
#endif
		DENY(__NR_tkill),
		DENY(__NR_rt_sigqueueinfo),
		DENY(__NR_rt_tgsigqueueinfo),
#ifdef __NR_pidfd_send_signal
		DENY(__NR_pidfd_send_signal),
#endif
		DENY(__NR_mount),
		DENY(__NR_umount2),
		DENY(__NR_pivot_root),
		DENY(__NR_chroot),
		DENY(__NR_unshare),
		DENY(__NR_sethostname),
		DENY(__NR_setdomainname),
		DENY(__NR_reboot),
		DENY(__NR_kexec_load),
		DENY(__NR_init_module),
		DENY(__NR_finit_module),
		DENY(__NR_delete_module),
		DENY(__NR_swapon),
		DENY(__NR_swapoff),
		DENY(__NR_acct),
		DENY(__NR_settimeofday),
		DENY(__NR_clock_settime),
		DENY(__NR_clock_adjtime),
		DENY(__NR_adjtimex),
		DENY(__NR_bpf),
		DENY(__NR_ptrace),
		DENY(__NR_process_vm_writev),
		DENY(__NR_open_by_handle_at),
		DENY(__NR_quotactl),
#ifdef __NR_kexec_file_load
		DENY(__NR_kexec_file_load),
#endif
#ifdef __NR_move_mount
		DENY(__NR_move_mount),
		DENY(__NR_open_tree),
		DENY(__NR_fsopen),
		DENY(__NR_fsconfig),
		DENY(__NR_fsmount),
		DENY(__NR_fspick),
#endif
#ifdef __NR_mount_setattr
		DENY(__NR_mount_setattr),
#endif
#ifdef __NR_pidfd_getfd
		DENY(__NR_pidfd_getfd),
#endif
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof filter / sizeof filter[0], .filter = filter};
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0) {
		note("seccomp=failed");
		return;
	}
	note("seccomp=on");
#else
	note("seccomp=unsupported-arch");
#endif
}

static int truthy(const char *v) {
	return v && (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes"));
}

// readOnlyAsked mirrors the Go flag parsing of --read-only: the flag's forms (-read-only,
// --read-only, =true, =1) anywhere before "--". A false positive only makes isotop stricter.
static int readOnlyAsked(int argc, char **argv) {
	if (truthy(getenv("ISOTOP_READONLY")))
		return 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--"))
			break;
		if (a[0] == '-' && a[1] == '-')
			a++;
		if (!strcmp(a, "-read-only"))
			return 1;
		if (!strncmp(a, "-read-only=", 11))
			return truthy(a + 11);
	}
	return 0;
}

static void lockdown(void) {
	capabilities();
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		note("no_new_privs=failed");
	} else {
		note("no_new_privs=on");
	}
	landlock();
	seccomp();
	setenv("ISOTOP_LOCKDOWN", status, 1);
}

static void fail(const char *what) {
	fprintf(stderr, "isotop enter: %s: %s\n", what, strerror(errno));
	_exit(126);
}

// enter follows _ISOTOP_ENTER, set by actions.Enter: "ns=3,4,5 root=6 cwd=7 user=1 fork=1", the
// descriptors inherited from the parent, which opened them and then checked that the target was
// still the same process. argv is "isotop-enter CMD ARGS…".
static void enter(const char *spec, int argc, char **argv) {
	int ns[16], nns = 0, root = -1, cwd = -1, user = 0, dofork = 0;
	char *copy = strdup(spec);
	for (char *tok = strtok(copy, " "); tok; tok = strtok(NULL, " ")) {
		if (!strncmp(tok, "ns=", 3)) {
			for (char *p = tok + 3; *p && nns < 16;) {
				ns[nns++] = (int)strtol(p, &p, 10);
				if (*p == ',')
					p++;
				else
					break;
			}
		} else if (!strncmp(tok, "root=", 5)) {
			root = atoi(tok + 5);
		} else if (!strncmp(tok, "cwd=", 4)) {
			cwd = atoi(tok + 4);
		} else if (!strcmp(tok, "user=1")) {
			user = 1;
		} else if (!strcmp(tok, "fork=1")) {
			dofork = 1;
		}
	}
	free(copy);
	unsetenv("_ISOTOP_ENTER");
	if (argc < 2) {
		fprintf(stderr, "isotop enter: no command\n");
		_exit(126);
	}
	// The user namespace, when asked, comes first in ns: once in it, the others (owned by it)
	// are joined with the capabilities it gives.
	for (int i = 0; i < nns; i++) {
		if (setns(ns[i], 0) != 0) {
			char what[160];
			char link[64], target[128];
			snprintf(link, sizeof link, "/proc/self/fd/%d", ns[i]);
			ssize_t n = readlink(link, target, sizeof target - 1);
			target[n > 0 ? n : 0] = 0;
			snprintf(what, sizeof what, "setns %s", n > 0 ? target : "?");
			fail(what);
		}
		close(ns[i]);
	}
	if (root >= 0) {
		if (fchdir(root) != 0 || chroot(".") != 0)
			fail("chroot to the target's root");
		close(root);
	}
	if (cwd >= 0) {
		if (fchdir(cwd) != 0 && chdir("/") != 0)
			fail("chdir");
		close(cwd);
	} else if (root >= 0 && chdir("/") != 0) {
		fail("chdir /");
	}
	if (user) {
		// As nsenter(1): become root of the namespace entered, when its maps allow it.
		setgroups(0, NULL);
		if (setgid(0) != 0 || setuid(0) != 0)
			fail("setuid 0 in the user namespace");
	}
	if (dofork) {
		// setns(CLONE_NEWPID) applies to children only: the command runs in a child, and this
		// process stays to hand its exit status (or its signal) back.
		pid_t pid = fork();
		if (pid < 0)
			fail("fork");
		if (pid > 0) {
			signal(SIGINT, SIG_IGN);
			signal(SIGQUIT, SIG_IGN);
			int st;
			while (waitpid(pid, &st, 0) < 0) {
				if (errno != EINTR)
					fail("waitpid");
			}
			if (WIFSIGNALED(st)) {
				signal(WTERMSIG(st), SIG_DFL);
				kill(getpid(), WTERMSIG(st));
				_exit(128 + WTERMSIG(st));
			}
			_exit(WEXITSTATUS(st));
		}
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "isotop enter: %s: %s\n", argv[1], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

__attribute__((constructor)) static void isotop_early(int argc, char **argv, char **envp) {
	(void)envp;
	if (readOnlyAsked(argc, argv))
		lockdown();
	const char *spec = getenv("_ISOTOP_ENTER");
	if (spec)
		enter(spec, argc, argv);
}
