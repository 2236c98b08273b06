// The attacker inside read-only mode's lockdown, for TestLockdownAttacks: it applies one of the
// lockdown's profiles to itself (lockdown.c's own functions: the main process's or the
// namespace helper's), then tries every change of the host the test set up a target for, and
// reports each attempt as "name<TAB>refused ERRNO" or "name<TAB>ALLOWED". The test checks the
// answers and, independently, that the targets did not change.
//
//   attack main|helper KEY=VALUE...
//     dir=PATH       a directory of the test's (holding a world-writable file "open")
//     rootfile=PATH  a root-owned file (0644)
//     unixsock=PATH  a root-owned unix socket, mode 0660, listening (as docker.sock is)
//     sock=PATH      more sockets to try (docker.sock, containerd.sock), repeatable
//     victim=PID     a process of root's, which must survive unchanged
//     shm=ID         a SysV shared memory segment of root's
//     netns=PID      a process in a network namespace owned by a user namespace root made
//     uts=PID        a process in a UTS namespace of its own
//     ownnetns=PID   a process in a network namespace owned by a user namespace the read-only
//                    identity made (nobody's may exist when the isotop user is missing)
//     device=PATH    a device node of root's (0600)
//     pty=PATH       the slave of a pseudo-terminal of root's (0600)
//     pipe=PATH      /proc/PID/fd/N of a pipe of root's
//     secret=PATH    a file of root's (0600) outside every directory the files helper may read
//     rec=PATH       a directory of recordings (root's, 0700) for the writer helper, holding a file
//                    of root's (notes.txt), a symlink named as a recording (isotop-link.rec) to
//                    rootfile, and a directory named as one (isotop-d.rec)
//
// Modes: main (the real entry: isotop_readonly_lockdown, which forks the helpers, then asks
// them what the main process may ask: a netlink socket, a file, a recording), helper, files,
// writer (isotop record's writer helper).
// The namespace descriptors are opened before the lockdown by the parent and handed over the
// socket, as isotop's main process hands them to its helper.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "../lockdown.h"

static int report_fd = -1;

static void report(const char *name, long rc) {
	char line[256];
	int n = rc < 0 ? snprintf(line, sizeof line, "%s\trefused %s\n", name, strerrorname_np(errno) ? strerrorname_np(errno) : "?")
		       : snprintf(line, sizeof line, "%s\tALLOWED\n", name);
	struct iovec iov = {line, (size_t)n};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	sendmsg(report_fd, &mh, MSG_NOSIGNAL);
}

static const char *arg(int argc, char **argv, const char *key) {
	size_t k = strlen(key);
	for (int i = 2; i < argc; i++)
		if (!strncmp(argv[i], key, k) && argv[i][k] == '=')
			return argv[i] + k + 1;
	return NULL;
}

static int recv_fd(int sock) {
	char c, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&c, 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
	if (recvmsg(sock, &mh, 0) != 1)
		return -1;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(cm), sizeof fd);
	return fd;
}

static void send_fd(int sock, int fd) {
	char c = 'f', cbuf[CMSG_SPACE(sizeof(int))];
	memset(cbuf, 0, sizeof cbuf);
	struct iovec iov = {&c, 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	sendmsg(sock, &mh, 0);
}

// link_down asks rtnetlink, on a socket made inside the namespace, to take lo down (RTM_NEWLINK
// with IFF_UP cleared): the change read-only mode must not be able to make.
static long link_down(int nl) {
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
	} req = {.h = {.nlmsg_len = sizeof req, .nlmsg_type = RTM_NEWLINK, .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK, .nlmsg_seq = 1},
		 .i = {.ifi_family = AF_UNSPEC, .ifi_index = 1 /* lo */, .ifi_change = IFF_UP, .ifi_flags = 0}};
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	if (sendto(nl, &req, sizeof req, 0, (struct sockaddr *)&sa, sizeof sa) < 0)
		return -1;
	char buf[4096];
	ssize_t n = recv(nl, buf, sizeof buf, 0);
	if (n < (ssize_t)sizeof(struct nlmsghdr))
		return -1;
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	if (h->nlmsg_type == NLMSG_ERROR) {
		int e = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
		if (e < 0) {
			errno = -e;
			return -1;
		}
	}
	return 0;
}

// ask_helper_socket asks the real helper (isotop_readonly_lockdown forked it) for a netlink socket
// made inside the network namespace open as fd, as isotop's Go side does.
static int ask_helper_socket(int fd) {
	struct isotop_request req = {.op = ISOTOP_OP_NETLINK};
	char cbuf[CMSG_SPACE(sizeof(int))];
	memset(cbuf, 0, sizeof cbuf);
	struct iovec iov = {&req, sizeof req};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	if (sendmsg(isotop_helper_fd, &mh, MSG_NOSIGNAL) < 0)
		return -1;
	struct isotop_reply rep;
	iov = (struct iovec){&rep, sizeof rep};
	mh = (struct msghdr){.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
	if (recvmsg(isotop_helper_fd, &mh, 0) != sizeof rep)
		return -1;
	if (rep.err) {
		errno = rep.err;
		return -1;
	}
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	int out;
	memcpy(&out, CMSG_DATA(cm), sizeof out);
	return out;
}

// ask_files asks the real files helper to open path, as isotop's Go side does; the descriptor it
// answers with (none is expected) would be an attempt that worked.
static long ask_files(const char *path) {
	if (!path) {
		errno = ENOENT;
		return -1;
	}
	static struct isotop_request req;
	memset(&req, 0, sizeof req);
	req.op = ISOTOP_OP_OPEN;
	snprintf(req.path, sizeof req.path, "%s", path);
	if (send(isotop_files_fd, &req, sizeof req, MSG_NOSIGNAL) < 0)
		return -1;
	struct isotop_reply rep;
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&rep, sizeof rep};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
	if (recvmsg(isotop_files_fd, &mh, 0) != sizeof rep)
		return -1;
	if (rep.err) {
		errno = rep.err;
		return -1;
	}
	return 0;
}

// ask_writer sends the real writer helper one request, as isotop record's Go side does, and
// returns the descriptor it answers with (0 when none), or -1 with its errno.
static long ask_writer(unsigned op, const char *name) {
	static struct isotop_request req;
	memset(&req, 0, sizeof req);
	req.op = op;
	snprintf(req.path, sizeof req.path, "%s", name);
	if (send(isotop_writer_fd, &req, sizeof req, MSG_NOSIGNAL) < 0)
		return -1;
	struct isotop_reply rep;
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&rep, sizeof rep};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
	if (recvmsg(isotop_writer_fd, &mh, 0) != sizeof rep)
		return -1;
	if (rep.err) {
		errno = rep.err;
		return -1;
	}
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	int out = 0;
	if (cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&out, CMSG_DATA(cm), sizeof out);
	return out;
}

static long sock_connect(const char *path) {
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	long rc = connect(s, (struct sockaddr *)&sa, sizeof sa);
	close(s);
	return rc;
}

static void attacks(int argc, char **argv, int netns_fd, int uts_fd, int pty) {
	char path[4096];
	const char *dir = arg(argc, argv, "dir"), *rootfile = arg(argc, argv, "rootfile");
	const char *victim_s = arg(argc, argv, "victim"), *shm_s = arg(argc, argv, "shm");
	pid_t victim = victim_s ? atoi(victim_s) : 0;

	// Files: root's, a world-writable one, a new one, and every call that changes a file.
	report("open root's file for writing", open(rootfile, O_WRONLY | O_CLOEXEC));
	snprintf(path, sizeof path, "%s/open", dir);
	report("open a world-writable file for writing", open(path, O_WRONLY | O_APPEND | O_CLOEXEC));
	report("truncate a world-writable file", truncate(path, 0));
	snprintf(path, sizeof path, "%s/new", dir);
	report("create a file", open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
	report("create a file in /tmp", open("/tmp", O_TMPFILE | O_WRONLY, 0600));
	snprintf(path, sizeof path, "%s/newdir", dir);
	report("mkdir", mkdir(path, 0755));
	snprintf(path, sizeof path, "%s/open", dir);
	report("unlink", unlink(path));
	report("chmod", chmod(path, 0600));
	report("chown", chown(path, 65534, 65534));
	snprintf(path, sizeof path, "%s/link", dir);
	report("symlink", symlink("/etc/passwd", path));
	report("write /proc/sys/kernel/printk_ratelimit", open("/proc/sys/kernel/printk_ratelimit", O_WRONLY | O_CLOEXEC));
	report("write the victim's /proc/PID/mem", victim ? ({ snprintf(path, sizeof path, "/proc/%d/mem", victim); open(path, O_RDWR | O_CLOEXEC); }) : -1);
	int ro = open(rootfile, O_RDONLY | O_CLOEXEC);
	report("flock a file read", ro >= 0 ? flock(ro, LOCK_EX | LOCK_NB) : -1);
	if (ro >= 0)
		close(ro);
	report("open O_EXCL", open(rootfile, O_RDONLY | O_EXCL | O_CLOEXEC));
	const char *device = arg(argc, argv, "device"), *ptyp = arg(argc, argv, "pty"), *pipe = arg(argc, argv, "pipe");
	const char *secret = arg(argc, argv, "secret");
	report("open a device of root's", device ? open(device, O_RDONLY | O_CLOEXEC) : -1);
	report("open another terminal of root's", ptyp ? open(ptyp, O_RDONLY | O_NOCTTY | O_CLOEXEC) : -1);
	report("open another process's pipe", pipe ? open(pipe, O_RDONLY | O_CLOEXEC) : -1);
	report("read a file of root's", secret ? open(secret, O_RDONLY | O_CLOEXEC) : -1);
	report("F_SETFL O_NONBLOCK on stdin", fcntl(0, F_SETFL, O_NONBLOCK));

	// Programs, sockets, the terminal.
	// In a child, so that an exec that works (without the filter) does not end the driver; with
	// the filter the fork itself is refused (no clone without CLONE_THREAD).
	char *const args[] = {"/bin/true", NULL};
	pid_t child = fork();
	if (child == 0) {
		execve("/bin/true", args, environ);
		_exit(errno);
	}
	int st = 0;
	if (child > 0 && waitpid(child, &st, 0) == child && WEXITSTATUS(st) != 0)
		errno = WEXITSTATUS(st), child = -1;
	report("execve /bin/true", child < 0 ? -1 : 0);
	report("connect to a root-owned unix socket", sock_connect(arg(argc, argv, "unixsock")));
	for (int i = 2; i < argc; i++)
		if (!strncmp(argv[i], "sock=", 5)) {
			snprintf(path, sizeof path, "connect to %s", argv[i] + 5);
			report(path, sock_connect(argv[i] + 5));
		}
	report("socket(AF_INET)", socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
	char c = 'x';
	report("TIOCSTI into its terminal", pty >= 0 ? ioctl(pty, TIOCSTI, &c) : (errno = EBADF, -1));
	struct termios tio;
	memset(&tio, 0, sizeof tio);
	report("TCSETS on a terminal beyond descriptors 0-2", pty >= 0 ? ioctl(pty, TCSETS, &tio) : (errno = EBADF, -1));
	report("open another terminal", open("/dev/ptmx", O_RDWR | O_CLOEXEC));

	// Other processes and host-wide objects.
	report("kill another process", victim ? kill(victim, SIGKILL) : -1);
	report("SIGCONT to its process group", kill(0, SIGCONT));
	struct rlimit rl = {1, 1};
	report("prlimit another process", victim ? prlimit(victim, RLIMIT_NOFILE, &rl, NULL) : -1);
	report("ptrace attach", victim ? ptrace(PTRACE_ATTACH, victim, 0, 0) : -1);
	char buf[8] = {0};
	struct iovec local = {buf, sizeof buf}, remote = {(void *)0x400000, sizeof buf};
	report("process_vm_writev", victim ? process_vm_writev(victim, &local, 1, &remote, 1, 0) : -1);
	report("shmctl IPC_RMID of root's segment", shm_s ? shmctl(atoi(shm_s), IPC_RMID, NULL) : -1);
	report("fanotify_init", syscall(SYS_fanotify_init, 0 /* FAN_CLASS_NOTIF */, O_RDONLY));
	char params[120] = {0};
	report("io_uring_setup", syscall(SYS_io_uring_setup, 4, params));
	report("bpf", syscall(SYS_bpf, 0, NULL, 0));
	report("perf_event_open", syscall(SYS_perf_event_open, NULL, 0, -1, 0, 0));
	report("add_key", syscall(SYS_add_key, "user", "isotop-test", "x", 1, -1 /* KEY_SPEC_THREAD_KEYRING: gone with the thread */));

	// Namespaces and mounts.
	report("mount tmpfs", mount("tmpfs", dir, "tmpfs", 0, ""));
	report("unshare(CLONE_NEWUSER)", unshare(CLONE_NEWUSER));
	report("unshare(CLONE_NEWNS)", unshare(CLONE_NEWNS));
	report("clone(CLONE_NEWUSER)", syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0));
	report("pivot_root", syscall(SYS_pivot_root, "/", "/"));
	int mnt = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	report("setns(mnt)", mnt >= 0 ? setns(mnt, CLONE_NEWNS) : -1);
	report("mmap PROT_EXEC", mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? -1 : 0);

	// The network namespace root's user namespace owns, through the path read-only mode uses:
	// the helper enters it and makes the socket; the main process asks the real helper for one
	// (isotop_helper_fd). Then the UTS namespace's hostname, from inside it (the helper).
	if (netns_fd >= 0) {
		int nl = -1;
		if (isotop_helper_fd >= 0)
			nl = ask_helper_socket(netns_fd);
		else if (setns(netns_fd, CLONE_NEWNET) == 0)
			nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
		report("rtnetlink: take lo down in a netns of a root-made user namespace", nl >= 0 ? link_down(nl) : -1);
	}
	const char *own = arg(argc, argv, "ownnetns");
	if (own && isotop_helper_fd >= 0) {
		char p[64];
		snprintf(p, sizeof p, "/proc/%s/ns/net", own);
		int fd = open(p, O_RDONLY | O_CLOEXEC);
		int nl = fd >= 0 ? ask_helper_socket(fd) : -1;
		report("rtnetlink: take lo down in a netns of a user namespace of its own uid", nl >= 0 ? link_down(nl) : -1);
	}
	if (isotop_files_fd >= 0) {
		report("files helper: a device", ask_files(device));
		report("files helper: a file outside its directories", ask_files(secret));
		report("files helper: /etc/shadow", ask_files("/etc/shadow"));
		report("files helper: a path with ..", ask_files("/var/lib/docker/containers/../../../../etc/shadow"));
	}
	const char *rec = arg(argc, argv, "rec");
	if (rec && isotop_writer_fd >= 0) {
		// The main process of isotop record: through its writer helper, only new isotop-….rec
		// files in the directory; by itself, nothing there either.
		report("writer helper: a name with ..", ask_writer(ISOTOP_OP_CREATE, "../isotop-escape.rec"));
		report("writer helper: a name with /", ask_writer(ISOTOP_OP_CREATE, "isotop-a/../../isotop-escape.rec"));
		report("writer helper: another name", ask_writer(ISOTOP_OP_CREATE, "notes2.txt"));
		report("writer helper: through a symlink named as a recording", ask_writer(ISOTOP_OP_CREATE, "isotop-link.rec"));
		report("writer helper: remove another file", ask_writer(ISOTOP_OP_REMOVE, "notes.txt"));
		report("writer helper: remove a directory", ask_writer(ISOTOP_OP_REMOVE, "isotop-d.rec"));
		report("writer helper: remove through ..", ask_writer(ISOTOP_OP_REMOVE, "isotop-x/../notes.txt"));
		snprintf(path, sizeof path, "%s/notes.txt", rec);
		report("open a file of the recordings' directory for writing", open(path, O_WRONLY | O_APPEND | O_CLOEXEC));
		long fd = ask_writer(ISOTOP_OP_CREATE, "isotop-ok.rec");
		report("writer helper: its own new file, written (must work)", fd > 0 ? write(fd, "recorded", 8) - 8 : -1);
	}
	if (rec && isotop_record_dir >= 0) {
		// The writer helper itself, as if taken over: its Landlock domain is the directory.
		report("writer: create beside its directory", openat(isotop_record_dir, "../isotop-escape.rec", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
		report("writer: write through a symlink in its directory", openat(isotop_record_dir, "isotop-link.rec", O_WRONLY | O_APPEND | O_CLOEXEC));
		report("writer: remove beside its directory", unlinkat(isotop_record_dir, "../victim.rec", 0)); // the test's file beside
	}
	if (isotop_execs_cn >= 0) {
		// The execs helper, as if taken over: its connector socket reads, and sends nothing (to the
		// kernel's connector handlers: the 1-wire bus's, cn_proc's).
		struct {
			struct nlmsghdr nl;
			uint32_t idx, val, seq, ack;
			uint16_t len, flags;
			uint32_t op;
		} __attribute__((packed)) m;
		memset(&m, 0, sizeof m);
		m.nl.nlmsg_len = sizeof m;
		m.nl.nlmsg_type = NLMSG_DONE;
		m.idx = 1;
		m.val = 1;
		m.len = 4;
		m.op = 2; // PROC_CN_MCAST_IGNORE
		struct sockaddr_nl to = {.nl_family = AF_NETLINK};
		report("execs: send to the kernel's connector", sendto(isotop_execs_cn, &m, sizeof m, 0, (struct sockaddr *)&to, sizeof to));
		report("execs: write to the connector", write(isotop_execs_cn, &m, sizeof m));
	}
	if (uts_fd >= 0 && isotop_helper_fd < 0) {
		long rc = setns(uts_fd, CLONE_NEWUTS);
		report("sethostname in another UTS namespace", rc == 0 ? sethostname("isotop-pwned", 12) : -1);
	}
	report("sethostname", sethostname("isotop-pwned", 12));
}

// landlock_read shows why the main process is in no Landlock domain: in one that handles only the
// write rights (reading allowed), reading another process's namespace link is refused, because a
// Landlock domain may not ptrace-access processes outside it.
static int landlock_read(const char *victim) {
	char path[64], link[64];
	snprintf(path, sizeof path, "/proc/%s/ns/net", victim);
	printf("readlink before\t%s\n", readlink(path, link, sizeof link) > 0 ? "ok" : strerrorname_np(errno));
	struct {
		unsigned long long fs, net, scoped;
	} attr = {.fs = 1ULL << 1 /* WRITE_FILE */};
	int fd = syscall(444 /* landlock_create_ruleset */, &attr, sizeof attr.fs, 0);
	if (fd < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || syscall(446 /* landlock_restrict_self */, fd, 0) != 0) {
		printf("landlock\tunavailable %s\n", strerrorname_np(errno));
		return 0;
	}
	printf("readlink in a Landlock domain\t%s\n", readlink(path, link, sizeof link) > 0 ? "ok" : strerrorname_np(errno));
	return 0;
}

int main(int argc, char **argv) {
	if (argc >= 3 && !strcmp(argv[1], "landlock-read"))
		return landlock_read(argv[2]);
	if (argc < 2 || (strcmp(argv[1], "main") && strcmp(argv[1], "helper") && strcmp(argv[1], "files") && strcmp(argv[1], "writer") &&
			 strcmp(argv[1], "execs"))) {
		fprintf(stderr, "usage: attack main|helper|files|writer|execs KEY=VALUE... | attack landlock-read PID\n");
		return 2;
	}
	int helper = !strcmp(argv[1], "helper"), files = !strcmp(argv[1], "files"), writer = !strcmp(argv[1], "writer");
	int execs = !strcmp(argv[1], "execs");
	if (execs && (isotop_execs_cn = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR)) < 0)
		return 1;
	const char *rec = arg(argc, argv, "rec");
	if (rec && (isotop_record_dir = open(rec, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return 1;
	struct isotop_identity id;
	isotop_identity_from("/etc/passwd", &id);
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return 1;
	// A terminal of its own, as isotop's TUI has one: TIOCSTI on it would type into the shell
	// after isotop ends.
	int master = -1, slave = -1;
	if (openpty(&master, &slave, NULL, NULL, NULL) != 0)
		return 1;
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		setsid();
		ioctl(slave, TIOCSCTTY, 0);
		int netns_fd = -1, uts_fd = -1;
		report_fd = sv[1];
		if (helper || files || writer || execs) {
			int rc = helper ? isotop_helper_profile(&id, sv[1]) : files ? isotop_files_profile(&id, sv[1]) :
				 writer ? isotop_writer_profile(&id, sv[1]) : isotop_execs_profile(&id, sv[1]);
			if (rc != 0) {
				report(isotop_lockdown, 1);
				_exit(3);
			}
			slave = -1; // closed by the profile, as the helpers hold no terminal
		} else {
			// The real entry: the helper forked and locked down, then this process.
			isotop_readonly_lockdown();
			if (strstr(isotop_lockdown, "failed") || isotop_helper_fd < 0 || isotop_files_fd < 0 || (rec && isotop_writer_fd < 0)) {
				report(isotop_lockdown, 1);
				_exit(3);
			}
		}
		netns_fd = recv_fd(sv[1]);
		uts_fd = recv_fd(sv[1]);
		attacks(argc, argv, netns_fd, uts_fd, slave);
		_exit(0);
	}
	close(sv[1]);
	close(slave);
	const char *netns = arg(argc, argv, "netns"), *uts = arg(argc, argv, "uts");
	char path[64];
	snprintf(path, sizeof path, "/proc/%s/ns/net", netns ? netns : "self");
	send_fd(sv[0], open(path, O_RDONLY | O_CLOEXEC));
	snprintf(path, sizeof path, "/proc/%s/ns/uts", uts ? uts : "self");
	send_fd(sv[0], open(path, O_RDONLY | O_CLOEXEC));
	char line[512];
	ssize_t n;
	while ((n = recv(sv[0], line, sizeof line - 1, 0)) > 0)
		fwrite(line, 1, n, stdout);
	int st;
	waitpid(pid, &st, 0);
	// What the pty received: a TIOCSTI that worked would show as input on the slave side, which
	// the parent can read from the master as echo.
	fcntl(master, F_SETFL, O_NONBLOCK);
	char echo[64];
	n = read(master, echo, sizeof echo);
	printf("terminal input seen\t%zd\n", n > 0 ? n : 0);
	printf("profile\t%s\n", isotop_lockdown[0] ? isotop_lockdown : "ok");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
