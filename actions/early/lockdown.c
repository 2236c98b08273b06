// Read-only mode's lockdown, made before the Go runtime starts (while the process has one thread,
// so that what it sets holds for every thread to come). Two processes share the work, each with
// only what its part needs, and neither can change the host:
//
//   the main process (the probe and the UI) runs as the read-only identity, a user that owns
//   nothing (the "isotop" system user, else nobody), with CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH
//   only: enough to read every process's /proc files, namespace links and roots, and files such as
//   /run/containerd that only root may read; and a seccomp allow-list: no exec, no open for
//   writing, no socket of its own, no signal to another process, no ioctl but the terminal's,
//   the namespace queries and ethtool's, no new namespaces, no mount, no ptrace, no io_uring.
//   No Landlock here: a process in a Landlock domain may not ptrace-read processes outside it,
//   and /proc/PID/ns and /proc/PID/root are ptrace reads: Landlock would blind the probe.
//
//   the helper, forked first, as the same identity with CAP_SYS_ADMIN only (setns(2) into
//   another network or UTS namespace needs it), in a Landlock domain that grants no file access
//   at all (and, from ABI 4 and 6, no TCP and no signal or abstract socket outside itself), with
//   an allow-list of what it does and nothing more: receive a namespace descriptor, setns(2)
//   into it (network or UTS only), make a NETLINK_ROUTE socket there or read the nodename, and
//   hand that back. It has no CAP_NET_ADMIN, so its sockets can read links but the kernel refuses
//   every change (an rtnetlink change needs CAP_NET_ADMIN in the namespace's owning user namespace,
//   which a user that created no user namespace does not have, and root's uid is not kept).
//
// Dropping capabilities alone is not enough while the uid is 0: root's uid still owns root's
// files, IPC objects, processes (prlimit) and the user namespaces root made. Hence the identity.
#define _GNU_SOURCE
#include "lockdown.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>
#include <linux/netlink.h>

char isotop_lockdown[512];
int isotop_helper_fd = -1;
int isotop_listen_fd = -1;
char isotop_listen_err[256];
int isotop_files_fd = -1;
int isotop_record_dir = -1;
char isotop_record_path[4096];
int isotop_execs_fd = -1;
int isotop_execs_cn = -1; // the proc connector socket, which the execs helper alone keeps
char isotop_execs_err[256];
int isotop_writer_fd = -1;
char isotop_writer_err[256];
int isotop_writer_errno;
int isotop_readonly;

void isotop_note(const char *fmt, ...) {
	size_t n = strlen(isotop_lockdown);
	if (n && n < sizeof isotop_lockdown - 1)
		isotop_lockdown[n++] = ' ';
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(isotop_lockdown + n, sizeof isotop_lockdown - n, fmt, ap);
	va_end(ap);
}

// isotop_identity_from reads the read-only identity from a passwd file directly (fgetpwent: no
// NSS module, no daemon asked): the "isotop" user, else "nobody", else 65534. It returns 1 when
// the dedicated user was found.
int isotop_identity_from(const char *passwd, struct isotop_identity *id) {
	*id = (struct isotop_identity){.uid = 65534, .gid = 65534};
	snprintf(id->name, sizeof id->name, "nobody");
	FILE *f = fopen(passwd, "re");
	if (!f)
		return 0;
	int found = 0;
	struct passwd *pw;
	while ((pw = fgetpwent(f)) != NULL) {
		if (pw->pw_uid == 0)
			continue; // never root, whatever the file calls it
		if (!strcmp(pw->pw_name, "isotop")) {
			*id = (struct isotop_identity){.uid = pw->pw_uid, .gid = pw->pw_gid};
			snprintf(id->name, sizeof id->name, "isotop");
			found = 1;
			break;
		}
		if (!strcmp(pw->pw_name, "nobody"))
			*id = (struct isotop_identity){.uid = pw->pw_uid, .gid = pw->pw_gid, .name = "nobody"};
	}
	fclose(f);
	return found;
}

// become drops this process to id with only the capabilities in keep: every other capability
// leaves the bounding set, the uid and gids change with no capability kept by the kernel's root
// rules, and the securebits are locked so that nothing gives root's powers back.
static int become(const struct isotop_identity *id, const int *keep, int nkeep) {
	// The change of uid clears the parent-death signal a caller set (a test, a supervisor): it is
	// set again after it.
	int pdeath = 0;
	prctl(PR_GET_PDEATHSIG, &pdeath, 0, 0, 0);
	uint64_t want = 0;
	for (int i = 0; i < nkeep; i++)
		want |= 1ULL << keep[i];
	if (geteuid() == 0) {
		for (int c = 0; c <= 63; c++) {
			if (want & (1ULL << c))
				continue;
			if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1 && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0) {
				isotop_note("caps=failed(bounding %d: %s)", c, strerror(errno));
				return -1;
			}
		}
		int bits = SECBIT_KEEP_CAPS | SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_NOROOT |
			   SECBIT_NOROOT_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
		if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) != 0) {
			isotop_note("securebits=failed(%s)", strerror(errno));
			return -1;
		}
		if (setgroups(0, NULL) != 0 || setresgid(id->gid, id->gid, id->gid) != 0 ||
		    setresuid(id->uid, id->uid, id->uid) != 0) {
			isotop_note("uid=failed(%s)", strerror(errno));
			return -1;
		}
	}
	// Not root: the uid stays (an unprivileged user reads what it may), the capabilities go.
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof data);
	if (syscall(SYS_capget, &hdr, data) != 0)
		return isotop_note("caps=failed(capget)"), -1;
	for (int i = 0; i < 2; i++) {
		uint32_t m = (uint32_t)(want >> (32 * i));
		data[i].permitted &= m;
		data[i].effective = data[i].permitted;
		data[i].inheritable = 0;
	}
	if (syscall(SYS_capset, &hdr, data) != 0)
		return isotop_note("caps=failed(capset: %s)", strerror(errno)), -1;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return isotop_note("no_new_privs=failed"), -1;
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); // no process of the same uid may ptrace or read it
	if (pdeath)
		prctl(PR_SET_PDEATHSIG, pdeath, 0, 0, 0);
	return 0;
}

#define ALLOW(ctx, name) rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(name), 0)
#define ALLOW_IF(ctx, name, ...) rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(name), __VA_ARGS__)

static scmp_filter_ctx new_filter(void) {
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (ctx) {
		// A system call of another ABI (i386's int 0x80, x32) cannot be checked: it kills.
		seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	}
	return ctx;
}

static int load(scmp_filter_ctx ctx, int rc, const char *who) {
#ifdef ISOTOP_TEST_NO_SECCOMP
	// Only in a build of testdata/attack.c that measures what the identity and the capabilities
	// hold on their own: never in isotop (nothing at run time can ask for it).
	seccomp_release(ctx);
	return rc ? -1 : 0;
#endif
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc != 0) {
		isotop_note("%s_seccomp=failed(%s)", who, strerror(-rc));
		return -1;
	}
	return 0;
}

// The ioctls the main process may make: its own terminal's settings and size, on descriptors 0-2
// only (no TIOCSTI, which would type into the terminal after isotop ends; no TIOCSPGRP; not on a
// terminal it opened); the namespace queries of ioctl_ns(2) and ethtool's (its get commands: set
// commands need CAP_NET_ADMIN) on any descriptor.
static const unsigned long tty_ioctls[] = {TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ, TIOCGPGRP, FIONREAD};
static const unsigned long main_ioctls[] = {
	0xb701 /* NS_GET_USERNS */, 0xb702 /* NS_GET_PARENT */, 0xb703 /* NS_GET_NSTYPE */,
	0xb704 /* NS_GET_OWNER_UID */, 0x8946 /* SIOCETHTOOL */,
};

// isotop_main_profile: see the top of this file.
int isotop_main_profile(const struct isotop_identity *id) {
	// CAP_SYS_PTRACE only: /proc/PID/ns and /proc/PID/root of every process. Not
	// CAP_DAC_READ_SEARCH: with it any file may be opened for reading, and some opens act (a
	// watchdog starts, a serial port raises DTR, another user's terminal or pipe gives up its
	// input). What only root may read (the runtimes' state) comes from the files helper.
	static const int keep[] = {CAP_SYS_PTRACE};
	if (become(id, keep, 1) != 0)
		return -1;
	scmp_filter_ctx ctx = new_filter();
	if (!ctx)
		return isotop_note("main_seccomp=failed(init)"), -1;
	int rc = 0;
	pid_t self = getpid();
	// Files: read, never write. openat2's flags are in a struct a filter cannot read: ENOSYS,
	// and callers fall back to openat. O_TMPFILE's own bit is __O_TMPFILE.
	// (O_EXCL: an exclusive open of a block device would keep others from mounting it.)
	ALLOW_IF(ctx, openat, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_EXCL | 020000000, 0));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0);
	static const int plain[] = {
		// reading and descriptors
		SCMP_SYS(read), SCMP_SYS(pread64), SCMP_SYS(readv), SCMP_SYS(preadv), SCMP_SYS(close), SCMP_SYS(fstat),
		SCMP_SYS(newfstatat), SCMP_SYS(statx), SCMP_SYS(lseek), SCMP_SYS(getdents64), SCMP_SYS(readlinkat),
		SCMP_SYS(readlink), SCMP_SYS(statfs), SCMP_SYS(fstatfs), SCMP_SYS(faccessat), SCMP_SYS(faccessat2),
		SCMP_SYS(access), SCMP_SYS(getcwd), SCMP_SYS(chdir), SCMP_SYS(fchdir), SCMP_SYS(dup), SCMP_SYS(dup3),
		SCMP_SYS(pipe2), SCMP_SYS(eventfd2), SCMP_SYS(inotify_init1), SCMP_SYS(inotify_add_watch),
		SCMP_SYS(inotify_rm_watch),
		// the descriptors it has (the terminal or stdout, the helper's and netlink sockets)
		SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(sendto), SCMP_SYS(sendmsg), SCMP_SYS(recvfrom),
		SCMP_SYS(recvmsg), SCMP_SYS(getsockname), SCMP_SYS(getsockopt), SCMP_SYS(getpeername),
		// waiting
		SCMP_SYS(epoll_create1), SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_pwait2),
		SCMP_SYS(epoll_wait), SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(pselect6), SCMP_SYS(select),
		SCMP_SYS(futex), SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep), SCMP_SYS(sched_yield),
		// memory (no executable mapping: see below), signals, threads
		SCMP_SYS(munmap), SCMP_SYS(madvise), SCMP_SYS(brk), SCMP_SYS(mremap), SCMP_SYS(mincore),
		SCMP_SYS(membarrier), SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
		SCMP_SYS(sigaltstack), SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(set_tid_address),
		SCMP_SYS(restart_syscall), SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(arch_prctl),
		// who and when
		SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getppid), SCMP_SYS(getuid), SCMP_SYS(geteuid),
		SCMP_SYS(getgid), SCMP_SYS(getegid), SCMP_SYS(getgroups), SCMP_SYS(getresuid), SCMP_SYS(getresgid),
		SCMP_SYS(capget), SCMP_SYS(getrandom), SCMP_SYS(uname), SCMP_SYS(sysinfo), SCMP_SYS(clock_gettime),
		SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday), SCMP_SYS(sched_getaffinity), SCMP_SYS(getrlimit),
		SCMP_SYS(getpriority), SCMP_SYS(getrusage), SCMP_SYS(times), SCMP_SYS(getcpu),
		SCMP_SYS(timer_create), SCMP_SYS(timer_settime), SCMP_SYS(timer_delete), SCMP_SYS(setitimer),
	};
	for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, plain[i], 0);
	// No executable memory after this point: no code can be loaded that was not there before.
	ALLOW_IF(ctx, mmap, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	ALLOW_IF(ctx, mprotect, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	// Threads only: a clone must share the process and make no namespace. clone3's flags are in
	// a struct: ENOSYS, and glibc falls back to clone.
	ALLOW_IF(ctx, clone, 1, SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD | CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS |
		CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | 0x80 /* CLONE_NEWTIME */, CLONE_THREAD));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	// Signals to itself (its threads), and to its own process group only to stop, as a terminal
	// program suspends (SIGCONT to the group would resume another user's stopped process in it).
	ALLOW_IF(ctx, kill, 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self));
	ALLOW_IF(ctx, kill, 2, SCMP_A0(SCMP_CMP_EQ, 0), SCMP_A1(SCMP_CMP_EQ, SIGTSTP));
	ALLOW_IF(ctx, kill, 2, SCMP_A0(SCMP_CMP_EQ, 0), SCMP_A1(SCMP_CMP_EQ, SIGSTOP));
	ALLOW_IF(ctx, tgkill, 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self));
	// Its own resource limits only (Go raises RLIMIT_NOFILE; prlimit on another process is out).
	ALLOW_IF(ctx, prlimit64, 1, SCMP_A0(SCMP_CMP_EQ, 0));
	ALLOW_IF(ctx, prlimit64, 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self));
	// Descriptor flags, but no locks or leases (a lock on a read-only descriptor can still
	// block another process), no owner or signal; and the status flags (O_NONBLOCK) not of
	// descriptors 0-2, whose open file the shell that started isotop shares.
	// isotop serve: its one exception, the listening socket made before the lockdown (early.c).
	// accept is allowed on any descriptor, as Go moves the socket to a number of its own: the
	// process can make, bind, listen on and connect no socket, and the helpers hand it only
	// netlink sockets, so the one it can accept on is that one.
	// isotop record: its one exception, the files the writer helper makes in the recorder's
	// directory and hands over open for writing (write is allowed above, on any descriptor the
	// process holds; it can open none for writing itself): syncing them too.
	if (isotop_writer_fd >= 0) {
		ALLOW(ctx, fsync);
		ALLOW(ctx, fdatasync);
	}
	if (isotop_listen_fd >= 0) {
		ALLOW(ctx, accept4);
		ALLOW(ctx, accept);
		ALLOW(ctx, setsockopt); // TCP_NODELAY and keep-alive of an accepted connection
		ALLOW(ctx, shutdown);
	}
	static const int fcntls[] = {F_GETFD, F_SETFD, F_GETFL, F_DUPFD, F_DUPFD_CLOEXEC, F_GETPIPE_SZ};
	for (size_t i = 0; i < sizeof fcntls / sizeof fcntls[0]; i++)
		ALLOW_IF(ctx, fcntl, 1, SCMP_A1(SCMP_CMP_EQ, fcntls[i]));
	ALLOW_IF(ctx, fcntl, 2, SCMP_A0(SCMP_CMP_GT, 2), SCMP_A1(SCMP_CMP_EQ, F_SETFL));
	for (size_t i = 0; i < sizeof tty_ioctls / sizeof tty_ioctls[0]; i++)
		ALLOW_IF(ctx, ioctl, 2, SCMP_A0(SCMP_CMP_LE, 2), SCMP_A1(SCMP_CMP_EQ, tty_ioctls[i]));
	for (size_t i = 0; i < sizeof main_ioctls / sizeof main_ioctls[0]; i++)
		ALLOW_IF(ctx, ioctl, 1, SCMP_A1(SCMP_CMP_EQ, main_ioctls[i]));
	// prctl: naming its memory and threads, and reading its own state.
	static const int prctls[] = {PR_SET_VMA, PR_SET_NAME, PR_GET_NAME, PR_GET_DUMPABLE, PR_GET_NO_NEW_PRIVS,
				     PR_CAPBSET_READ, PR_GET_SECUREBITS, PR_GET_KEEPCAPS};
	for (size_t i = 0; i < sizeof prctls / sizeof prctls[0]; i++)
		ALLOW_IF(ctx, prctl, 1, SCMP_A0(SCMP_CMP_EQ, prctls[i]));
	return load(ctx, rc, "main");
}

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
struct ll_path_beneath {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));
#define LL_WRITE_FILE (1ULL << 1)
#define LL_READ_FILE (1ULL << 2)
#define LL_READ_DIR (1ULL << 3)
#define LL_REMOVE_FILE (1ULL << 5)
#define LL_MAKE_REG (1ULL << 8)

// landlock_beneath puts the calling process in a Landlock domain that handles every access right
// the running kernel knows and grants only access (reading, for the files helper) beneath the n
// directories open as dirs (none: no file access at all). required says whether a kernel without
// Landlock is a failure.
static int landlock_beneath(const int *dirs, int n, uint64_t access, int required) {
	long abi = syscall(__NR_landlock_create_ruleset, NULL, 0, 1U /* LANDLOCK_CREATE_RULESET_VERSION */);
	if (abi < 1) {
		isotop_note("landlock=unavailable(%s)", strerror(errno));
		return required ? -1 : 0; // the helper's allow-list, which has no open at all, is the wall
	}
	static const int fs_bits_by_abi[] = {0, 13, 14, 15, 15, 16, 16, 16};
	int bits = fs_bits_by_abi[abi < 7 ? abi : 7];
	struct ll_ruleset_attr attr = {.handled_access_fs = (1ULL << bits) - 1};
	size_t size = offsetof(struct ll_ruleset_attr, handled_access_net);
	if (abi >= 4) {
		attr.handled_access_net = 3; // bind and connect TCP
		size = offsetof(struct ll_ruleset_attr, scoped);
	}
	if (abi >= 6) {
		attr.scoped = 3; // abstract unix sockets and signals outside the domain
		size = sizeof attr;
	}
	int fd = syscall(__NR_landlock_create_ruleset, &attr, size, 0);
	for (int i = 0; fd >= 0 && i < n; i++) {
		struct ll_path_beneath rule = {.allowed_access = access, .parent_fd = dirs[i]};
		if (syscall(__NR_landlock_add_rule, fd, 1 /* LANDLOCK_RULE_PATH_BENEATH */, &rule, 0) != 0) {
			isotop_note("landlock=failed(rule: %s)", strerror(errno));
			close(fd);
			return -1;
		}
	}
	if (fd < 0 || syscall(__NR_landlock_restrict_self, fd, 0) != 0) {
		isotop_note("landlock=failed(%s)", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	isotop_note("landlock=%ld", abi);
	return 0;
}

// close_all_but closes every descriptor but keep: a helper holds nothing of the main process's
// (not the terminal, not stdout).
static void close_all_but(int keep) {
	for (int fd = 0; fd < keep; fd++)
		close(fd);
	if (syscall(SYS_close_range, keep + 1, ~0U, 0) != 0)
		for (int fd = keep + 1; fd < 4096; fd++)
			close(fd);
}

// close_all_but2 closes every descriptor but a and b.
static void close_all_but2(int a, int b) {
	int hi = a > b ? a : b;
	for (int fd = 0; fd < hi; fd++)
		if (fd != a && fd != b)
			close(fd);
	if (syscall(SYS_close_range, hi + 1, ~0U, 0) != 0)
		for (int fd = hi + 1; fd < 4096; fd++)
			close(fd);
}

// helper_become is how a helper that keeps one descriptor besides its socket starts: nothing else
// open, / as its working directory, the read-only identity with the capabilities keep only, and
// the main process's death its own.
static int helper_become(const struct isotop_identity *id, int sock, int keepfd, const int *keep, int nkeep) {
	close_all_but2(sock, keepfd);
	if (chdir("/") != 0)
		return -1;
	pid_t parent = getppid();
	if (become(id, keep, nkeep) != 0)
		return -1;
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != parent)
		_exit(0);
	return 0;
}

static uid_t helper_uid; // set before the filter, which has no getuid

// The helper's own network and UTS namespaces, to which it returns after each request: a process
// that stayed in the namespace it last served would look, to any isotop's probe (whose cache
// keeps a process's namespace links between its full reads), like a process of that namespace,
// and lend it its name and pid.
static int home_net = -1, home_uts = -1;

// isotop_helper_profile: see the top of this file.
int isotop_helper_profile(const struct isotop_identity *id, int sock) {
	static const int keep[] = {CAP_SYS_ADMIN};
	close_all_but(sock);
	if (chdir("/") != 0)
		return -1;
	home_net = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	home_uts = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
	if (home_net < 0 || home_uts < 0)
		return -1;
	pid_t parent = getppid();
	if (become(id, keep, 1) != 0)
		return -1;
	helper_uid = getuid();
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0); // after the uid change, which clears it
	if (getppid() != parent)
		_exit(0);
	if (landlock_beneath(NULL, 0, 0, 0) != 0)
		return -1;
	scmp_filter_ctx ctx = new_filter();
	if (!ctx)
		return -1;
	int rc = 0;
	// The user namespaces that own a network namespace, up the chain (see owned_by_self).
	ALLOW_IF(ctx, ioctl, 1, SCMP_A1(SCMP_CMP_EQ, 0xb701 /* NS_GET_USERNS */));
	ALLOW_IF(ctx, ioctl, 1, SCMP_A1(SCMP_CMP_EQ, 0xb702 /* NS_GET_PARENT */));
	ALLOW_IF(ctx, ioctl, 1, SCMP_A1(SCMP_CMP_EQ, 0xb704 /* NS_GET_OWNER_UID */));
	ALLOW_IF(ctx, recvmsg, 1, SCMP_A0(SCMP_CMP_EQ, sock));
	ALLOW_IF(ctx, sendmsg, 1, SCMP_A0(SCMP_CMP_EQ, sock));
	ALLOW_IF(ctx, setns, 1, SCMP_A1(SCMP_CMP_EQ, CLONE_NEWNET));
	ALLOW_IF(ctx, setns, 1, SCMP_A1(SCMP_CMP_EQ, CLONE_NEWUTS));
	ALLOW_IF(ctx, socket, 2, SCMP_A0(SCMP_CMP_EQ, AF_NETLINK), SCMP_A2(SCMP_CMP_EQ, NETLINK_ROUTE));
	ALLOW(ctx, bind);
	ALLOW(ctx, close);
	ALLOW(ctx, uname);
	ALLOW(ctx, exit);
	ALLOW(ctx, exit_group);
	ALLOW(ctx, rt_sigreturn);
	ALLOW(ctx, restart_syscall);
	return load(ctx, rc, "helper");
}

static void reply(int sock, struct isotop_reply *r, int fd) {
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {r, sizeof *r};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		memset(cbuf, 0, sizeof cbuf);
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof cbuf;
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof fd);
	}
	while (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

static void failed(struct isotop_reply *r, const char *step) {
	r->err = errno;
	snprintf(r->step, sizeof r->step, "%s", step);
}

// owned_by_self reports whether a user namespace made by this process's uid owns the namespace
// open as nsfd, or one of its ancestors does: there the kernel gives that uid every capability
// (rtnetlink would take a change from a socket made inside it). The isotop user makes none, but
// nobody, the identity when it is missing, may have.
static int owned_by_self(int nsfd) {
	int user = ioctl(nsfd, 0xb701 /* NS_GET_USERNS */);
	for (int depth = 0; user >= 0 && depth < 40; depth++) {
		uid_t owner;
		int mine = ioctl(user, 0xb704 /* NS_GET_OWNER_UID */, &owner) == 0 && owner == helper_uid;
		int parent = ioctl(user, 0xb702 /* NS_GET_PARENT */);
		close(user);
		if (mine) {
			if (parent >= 0)
				close(parent);
			return 1;
		}
		user = parent; // EPERM at the top, or above what this process may see
	}
	if (user >= 0)
		close(user);
	return 0;
}

// isotop_helper_serve: one request at a time, each with exactly one namespace descriptor.
void isotop_helper_serve(int sock) {
	for (;;) {
		struct isotop_request req;
		char cbuf[CMSG_SPACE(sizeof(int) * 4)];
		struct iovec iov = {&req, sizeof req};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
		ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
		if (n == 0)
			_exit(0); // the main process is gone
		if (n < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		int fds[4], nfd = 0;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			int k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (int i = 0; i < k && nfd < 4; i++)
				memcpy(&fds[nfd++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
		}
		struct isotop_reply r;
		memset(&r, 0, sizeof r);
		int out = -1;
		struct utsname u;
		if (n != sizeof req || nfd != 1 || (mh.msg_flags & MSG_CTRUNC)) {
			errno = EINVAL;
			failed(&r, "request");
		} else if (req.op == ISOTOP_OP_NETLINK) {
			// No socket unless the setns worked: it would be the previous namespace's.
			struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
			if (owned_by_self(fds[0])) {
				errno = EPERM;
				failed(&r, "owner");
			} else if (setns(fds[0], CLONE_NEWNET) != 0)
				failed(&r, "setns");
			else if ((out = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)) < 0)
				failed(&r, "socket");
			else if (bind(out, (struct sockaddr *)&sa, sizeof sa) != 0) {
				failed(&r, "bind");
				close(out);
				out = -1;
			}
		} else if (req.op == ISOTOP_OP_UTSNAME) {
			if (setns(fds[0], CLONE_NEWUTS) != 0)
				failed(&r, "setns");
			else if (uname(&u) != 0)
				failed(&r, "uname");
			else
				snprintf(r.name, sizeof r.name, "%s", u.nodename);
		} else {
			errno = EINVAL;
			failed(&r, "op");
		}
		for (int i = 0; i < nfd; i++)
			close(fds[i]);
		// Home again before the answer goes: the socket stays in the namespace it was made in.
		if (setns(home_net, CLONE_NEWNET) != 0 || setns(home_uts, CLONE_NEWUTS) != 0)
			_exit(1); // it could not leave a namespace it served: serve no more
		reply(sock, &r, out);
		if (out >= 0)
			close(out);
	}
}

// The directories beneath which the files helper may read: the runtimes' own state (the names,
// images and annotations of containers) and isotop's audit log; for Podman and CRI-O the
// "*-containers" directories (not the layers, which hold what the containers wrote), of root's
// storage and of each user's rootless one. Only those that exist when the lockdown is made.
static const char *const files_dirs_fixed[] = {
	"/var/lib/docker/containers", "/run/containerd/io.containerd.runtime.v2.task", "/var/lib/lxc", "/var/log/isotop",
};

static int add_dir(int *dirs, int n, int max, const char *path) {
	if (n >= max)
		return n;
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		dirs[n++] = fd;
	return n;
}

static int add_containers_dirs(int *dirs, int n, int max, const char *storage) {
	DIR *d = opendir(storage);
	if (!d)
		return n;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l > 11 && !strcmp(e->d_name + l - 11, "-containers")) {
			char p[4096];
			snprintf(p, sizeof p, "%s/%s", storage, e->d_name);
			n = add_dir(dirs, n, max, p);
		}
	}
	closedir(d);
	return n;
}

static int files_dirs(int *dirs, int max) {
	int n = 0;
	for (size_t i = 0; i < sizeof files_dirs_fixed / sizeof files_dirs_fixed[0]; i++)
		n = add_dir(dirs, n, max, files_dirs_fixed[i]);
	n = add_containers_dirs(dirs, n, max, "/var/lib/containers/storage");
	n = add_containers_dirs(dirs, n, max, "/run/containers/storage");
	FILE *f = fopen("/etc/passwd", "re");
	struct passwd *pw;
	while (f && (pw = fgetpwent(f)) != NULL) {
		char p[4096];
		if (pw->pw_uid == 0 || !pw->pw_dir || pw->pw_dir[0] != '/')
			continue;
		snprintf(p, sizeof p, "%s/.local/share/containers/storage", pw->pw_dir);
		n = add_containers_dirs(dirs, n, max, p);
	}
	if (f)
		fclose(f);
	return n;
}

// isotop_files_profile: the files helper, as the read-only identity with CAP_DAC_READ_SEARCH only
// (to read what only root may), in a Landlock domain that grants reading beneath files_dirs and
// nothing else, with an allow-list of what it does: receive a path, open it, check it is a regular
// file or a directory, open that for reading, and send the descriptor. Without Landlock it does not
// start (the main process then lacks what only root may read: partial data, said so).
int isotop_files_profile(const struct isotop_identity *id, int sock) {
	static const int keep[] = {CAP_DAC_READ_SEARCH};
	int dirs[64];
	int n = files_dirs(dirs, 64); // as root, before anything is dropped
	int hi = sock;
	for (int i = 0; i < n; i++)
		hi = dirs[i] > hi ? dirs[i] : hi;
	// Keep sock and the directories only.
	for (int fd = 0; fd <= hi; fd++) {
		int kept = fd == sock;
		for (int i = 0; i < n; i++)
			kept |= fd == dirs[i];
		if (!kept)
			close(fd);
	}
	if (syscall(SYS_close_range, hi + 1, ~0U, 0) != 0)
		for (int fd = hi + 1; fd < 4096; fd++)
			close(fd);
	if (chdir("/") != 0)
		return -1;
	pid_t parent = getppid();
	if (become(id, keep, 1) != 0)
		return -1;
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != parent)
		_exit(0);
	int rc = landlock_beneath(dirs, n, LL_READ_FILE | LL_READ_DIR, 1);
	for (int i = 0; i < n; i++)
		close(dirs[i]);
	if (rc != 0)
		return -1;
	isotop_note("dirs=%d", n);
	scmp_filter_ctx ctx = new_filter();
	if (!ctx)
		return -1;
	rc = 0;
	ALLOW_IF(ctx, recvmsg, 1, SCMP_A0(SCMP_CMP_EQ, sock));
	ALLOW_IF(ctx, sendmsg, 1, SCMP_A0(SCMP_CMP_EQ, sock));
	ALLOW_IF(ctx, openat, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_EXCL | 020000000, 0));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0);
	ALLOW(ctx, fstat);
	ALLOW(ctx, newfstatat);
	ALLOW(ctx, statx);
	ALLOW(ctx, close);
	ALLOW(ctx, exit);
	ALLOW(ctx, exit_group);
	ALLOW(ctx, rt_sigreturn);
	ALLOW(ctx, restart_syscall);
	return load(ctx, rc, "files");
}

// path_request waits for the next request of a helper that takes a path or a name and no
// descriptor (the files helper, the writer helper): its length, its path ended by a NUL. Any
// descriptor sent along is closed; the helper ends with the main process (end of file).
static ssize_t path_request(int sock, struct isotop_request *req) {
	for (;;) {
		char cbuf[CMSG_SPACE(sizeof(int) * 4)];
		struct iovec iov = {req, sizeof *req};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
		ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
		if (n == 0)
			_exit(0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) // none is asked for
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
				for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
					int fd;
					memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
					close(fd);
				}
		req->path[sizeof req->path - 1] = 0;
		return n;
	}
}

// isotop_files_serve: one path at a time. A path is opened O_PATH (no device or FIFO opens on
// that), its type checked, and only a regular file or a directory is then opened for reading,
// through the O_PATH descriptor (the same inode, whatever happened to the path meanwhile); Landlock
// checks that open against its rules, wherever a symlink led.
void isotop_files_serve(int sock) {
	static struct isotop_request req;
	for (;;) {
		ssize_t n = path_request(sock, &req);
		struct isotop_reply r;
		memset(&r, 0, sizeof r);
		int out = -1;
		if (n != sizeof req || req.op != ISOTOP_OP_OPEN || req.path[0] != '/') {
			errno = EINVAL;
			failed(&r, "request");
		} else {
			struct stat st;
			int p = open(req.path, O_PATH | O_CLOEXEC);
			if (p < 0) {
				failed(&r, "open");
			} else if (fstat(p, &st) != 0) {
				failed(&r, "fstat");
			} else if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
				errno = EPERM;
				failed(&r, "not a file");
			} else {
				char self[40];
				snprintf(self, sizeof self, "/proc/self/fd/%d", p);
				out = open(self, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
				if (out < 0)
					failed(&r, "open");
			}
			if (p >= 0)
				close(p);
		}
		reply(sock, &r, out);
		if (out >= 0)
			close(out);
	}
}

// The writer helper, isotop record's one exception to the lockdown: the directory of recordings,
// opened by early.c before the lockdown (O_PATH, not through a symlink), is the only place it can
// reach. As the read-only identity with CAP_DAC_OVERRIDE only (the directory is root's), in a
// Landlock domain that grants making, writing, reading and removing files beneath that directory
// and nothing else, with an allow-list whose file calls take that directory's descriptor as their
// base. It takes a name, never a path: isotop-….rec, one element (writer_name); it makes a file
// that does not exist yet (O_EXCL, no symlink followed) and hands it over open for writing, removes
// a regular file, lists the directory (a descriptor open for reading) and stats a file.
static int writer_dir = -1;

static int writer_name(const char *name) {
	size_t l = strnlen(name, 256);
	return l > 11 && l < 256 && !strncmp(name, "isotop-", 7) && !strcmp(name + l - 4, ".rec") && !strchr(name, '/');
}

int isotop_writer_profile(const struct isotop_identity *id, int sock) {
	static const int keep[] = {CAP_DAC_OVERRIDE};
	writer_dir = isotop_record_dir;
	if (writer_dir < 0)
		return -1;
	if (helper_become(id, sock, writer_dir, keep, 1) != 0)
		return -1;
	// Landlock is required: with CAP_DAC_OVERRIDE, the names it takes would be the only wall (its
	// allow-list sees a descriptor, not the path, which may be absolute or hold ..).
	if (landlock_beneath(&writer_dir, 1, LL_WRITE_FILE | LL_READ_FILE | LL_READ_DIR | LL_REMOVE_FILE | LL_MAKE_REG, 1) != 0)
		return -1;
	scmp_filter_ctx ctx = new_filter();
	if (!ctx)
		return -1;
	int rc = 0;
	ALLOW_IF(ctx, recvmsg, 1, SCMP_A0(SCMP_CMP_EQ, sock));
	ALLOW_IF(ctx, sendmsg, 1, SCMP_A0(SCMP_CMP_EQ, sock));
	ALLOW_IF(ctx, openat, 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)writer_dir));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0);
	ALLOW_IF(ctx, unlinkat, 2, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)writer_dir), SCMP_A2(SCMP_CMP_EQ, 0));
	ALLOW_IF(ctx, newfstatat, 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)writer_dir));
	ALLOW(ctx, close);
	ALLOW(ctx, exit);
	ALLOW(ctx, exit_group);
	ALLOW(ctx, rt_sigreturn);
	ALLOW(ctx, restart_syscall);
	return load(ctx, rc, "writer");
}

void isotop_writer_serve(int sock) {
	static struct isotop_request req;
	for (;;) {
		ssize_t n = path_request(sock, &req);
		struct isotop_reply r;
		memset(&r, 0, sizeof r);
		int out = -1;
		struct stat st;
		if (n != sizeof req) {
			errno = EINVAL;
			failed(&r, "request");
		} else if (req.op == ISOTOP_OP_LIST) {
			if ((out = openat(writer_dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
				failed(&r, "open");
		} else if (!writer_name(req.path)) {
			errno = EINVAL;
			failed(&r, "name");
		} else if (req.op == ISOTOP_OP_CREATE) {
			if ((out = openat(writer_dir, req.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0640)) < 0)
				failed(&r, "create");
		} else if (req.op == ISOTOP_OP_REMOVE || req.op == ISOTOP_OP_STAT) {
			if (fstatat(writer_dir, req.path, &st, AT_SYMLINK_NOFOLLOW) != 0)
				failed(&r, "stat");
			else if (!S_ISREG(st.st_mode)) {
				errno = EPERM;
				failed(&r, "not a file");
			} else if (req.op == ISOTOP_OP_STAT)
				snprintf(r.name, sizeof r.name, "%lld %lld %ld", (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
			else if (unlinkat(writer_dir, req.path, 0) != 0)
				failed(&r, "unlink");
		} else {
			errno = EINVAL;
			failed(&r, "op");
		}
		reply(sock, &r, out);
		if (out >= 0)
			close(out);
	}
}

// The execs helper, isotop record's: it keeps the proc connector socket early.c subscribed, and
// forwards what the kernel (netlink port 0) sends on it to the main process, each datagram as one
// message (a 4-byte 0xffffffff when the kernel dropped some: ENOBUFS). The main process never holds
// a connector socket: through one a process may send to the kernel's connector handlers (the
// 1-wire bus's checks no capability). As the read-only identity with no capability, no file access
// (Landlock), and an allow-list of reading that socket and writing to the main process.
int isotop_execs_profile(const struct isotop_identity *id, int sock) {
	if (isotop_execs_cn < 0)
		return -1;
	if (helper_become(id, sock, isotop_execs_cn, NULL, 0) != 0)
		return -1;
	if (landlock_beneath(NULL, 0, 0, 0) != 0)
		return -1;
	scmp_filter_ctx ctx = new_filter();
	if (!ctx)
		return -1;
	int rc = 0;
	ALLOW_IF(ctx, recvfrom, 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)isotop_execs_cn));
	ALLOW_IF(ctx, sendto, 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)sock));
	ALLOW_IF(ctx, sendmsg, 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)sock));
	ALLOW(ctx, close);
	ALLOW(ctx, exit);
	ALLOW(ctx, exit_group);
	ALLOW(ctx, rt_sigreturn);
	ALLOW(ctx, restart_syscall);
	return load(ctx, rc, "execs");
}

void isotop_execs_serve(int sock) {
	static char buf[65536];
	for (;;) {
		struct sockaddr_nl from;
		socklen_t len = sizeof from;
		ssize_t n = recvfrom(isotop_execs_cn, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
		if (n < 0 && errno == ENOBUFS) {
			static const uint32_t lost = 0xffffffff;
			n = 4;
			memcpy(buf, &lost, 4);
			from.nl_pid = 0;
		} else if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
			continue; // EAGAIN: the receive timeout early.c set
		} else if (n < 0) {
			_exit(1);
		}
		if (from.nl_pid != 0) // only the kernel's
			continue;
		if (send(sock, buf, n, MSG_NOSIGNAL) < 0 && errno != EINTR && errno != ENOBUFS)
			_exit(0); // the main process is gone
	}
}

// start_helper forks a helper with its profile and loop, waits for its first reply (how it locked
// itself down) and returns the main process's end of its socket, or -1 (noted).
static int start_helper(const char *name, const struct isotop_identity *id, int (*profile)(const struct isotop_identity *, int),
			void (*serve)(int)) {
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		isotop_note("%s=failed(socketpair: %s)", name, strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		isotop_lockdown[0] = 0;
		if (profile(id, sv[1]) == 0) {
			struct isotop_reply hello;
			memset(&hello, 0, sizeof hello);
			snprintf(hello.name, sizeof hello.name, "%s", isotop_lockdown);
			reply(sv[1], &hello, -1);
			serve(sv[1]);
		}
		_exit(126); // a helper that could not lock itself down does nothing
	}
	close(sv[1]);
	struct isotop_reply hello;
	struct pollfd pfd = {.fd = sv[0], .events = POLLIN};
	if (pid < 0) {
		isotop_note("%s=failed(fork: %s)", name, strerror(errno));
	} else if (poll(&pfd, 1, 5000) != 1 || recv(sv[0], &hello, sizeof hello, 0) != sizeof hello) {
		isotop_note("%s=unavailable(it did not lock itself down)", name);
		waitpid(pid, NULL, WNOHANG);
	} else {
		hello.name[sizeof hello.name - 1] = 0;
		for (char *c = hello.name; *c; c++)
			if (*c == ' ')
				*c = ',';
		isotop_note("%s=%d %s_%s", name, (int)pid, name, hello.name);
		return sv[0];
	}
	close(sv[0]);
	return -1;
}

// isotop_readonly_lockdown forks the helper, then locks this process down. A failure is noted
// (and the Go side refuses to start: Lockdown.Enforced); nothing here gives up half way and runs
// unlocked.
void isotop_readonly_lockdown(void) {
	isotop_readonly = 1;
	struct isotop_identity id;
	int dedicated = isotop_identity_from("/etc/passwd", &id);
	isotop_note("uid=%s(%u)%s", id.name, (unsigned)id.uid, dedicated ? "" : ",no-isotop-user");
	isotop_helper_fd = start_helper("helper", &id, isotop_helper_profile, isotop_helper_serve);
	isotop_files_fd = start_helper("files", &id, isotop_files_profile, isotop_files_serve);
	if (isotop_record_dir >= 0) {
		isotop_writer_fd = start_helper("writer", &id, isotop_writer_profile, isotop_writer_serve);
		close(isotop_record_dir); // the main process keeps no descriptor of it
		isotop_record_dir = -1;
	}
	if (isotop_execs_fd >= 0) {
		isotop_execs_cn = isotop_execs_fd;
		isotop_execs_fd = start_helper("execs", &id, isotop_execs_profile, isotop_execs_serve);
		close(isotop_execs_cn);
		isotop_execs_cn = -1;
		struct timeval tv = {.tv_usec = 500000}; // probe.ExecWatcher's blocking reads see its Close
		if (isotop_execs_fd >= 0 && setsockopt(isotop_execs_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) {
			close(isotop_execs_fd);
			isotop_execs_fd = -1;
		}
		if (isotop_execs_fd < 0)
			snprintf(isotop_execs_err, sizeof isotop_execs_err, "the execs helper did not start");
	}
	if (isotop_main_profile(&id) == 0)
		isotop_note("caps=ptrace no_new_privs=on seccomp=on");
}
