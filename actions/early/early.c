// What isotop does before the Go runtime starts, while the process still has one thread: a
// multithreaded process cannot join a user namespace, cannot setns(2) into a mount namespace from
// a thread that shares its filesystem context, and cannot change the uid, the capabilities or the
// seccomp filter of all its threads at once. Go starts threads before main, so this runs as an ELF
// constructor (as runc's libcontainer/nsenter does). It does one of two things, or nothing:
//
//   read-only mode (see lockdown.c): asked by --read-only among isotop's own arguments, or by
//   ISOTOP_READONLY set to anything but an explicit false (0, false, no, off). It fails closed:
//   an unknown value is read-only. Once locked down, nothing else here runs.
//
//   entering namespaces, for `isotop enter`, which re-executes itself as "isotop-enter" with
//   _ISOTOP_ENTER set: setns(2) into the namespace descriptors it was handed, the target's root
//   and working directory, then (after a fork when a pid namespace was entered, as nsenter(1)
//   does) execvp of the command. Only in a process named isotop-enter, and never read-only.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/time.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "lockdown.h"

// falsy is an explicit "no"; anything else a variable says, even empty or unknown, is a yes:
// read-only mode fails closed.
static int falsy(const char *v) {
	return !strcmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off");
}

// child names a process isotop re-executed for one job: its arguments are a command's, not
// isotop's, and a --read-only among them is that command's.
static int child(const char *argv0) {
	const char *base = strrchr(argv0, '/');
	base = base ? base + 1 : argv0;
	return !strcmp(base, "isotop-enter") || !strcmp(base, "isotop-sandbox") || !strcmp(base, "isotop-sandbox-reaper");
}

// readOnlyAsked mirrors the Go flag parsing of --read-only: the flag's forms (-read-only,
// --read-only, =VALUE) anywhere among isotop's own arguments, before "--". A false positive
// (a flag's value that reads --read-only) only makes isotop stricter.
static int readOnlyAsked(int argc, char **argv) {
	const char *env = getenv("ISOTOP_READONLY");
	if (env && !falsy(env)) {
		isotop_note(env[0] ? "asked=env" : "asked=env(empty,fail-closed)");
		return 1;
	}
	if (argc < 1 || child(argv[0]))
		return 0;
	// isotop record is read-only unless told otherwise (--read-only=false, ISOTOP_READONLY=0).
	int record = argc > 1 && !strcmp(argv[1], "record"), no = env != NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--"))
			break;
		if (a[0] == '-' && a[1] == '-')
			a++;
		if (!strcmp(a, "-read-only") || (!strncmp(a, "-read-only=", 11) && !falsy(a + 11))) {
			isotop_note("asked=flag");
			return 1;
		}
		if (!strncmp(a, "-read-only=", 11))
			no = 1;
	}
	if (record && !no) {
		isotop_note("asked=record");
		return 1;
	}
	return 0;
}

static void fail(const char *what) {
	fprintf(stderr, "isotop enter: %s: %s\n", what, strerror(errno));
	_exit(126);
}

// enter follows _ISOTOP_ENTER, set by actions.Enter: "ns=3,4,5 root=6 cwd=7 user=1 fork=1", the
// descriptors inherited from the parent, which opened them and then checked that the target was
// still the same process. argv is "isotop-enter CMD ARGS…".
// fdlist reads "3,4,5" into fds.
static int fdlist(char *p, int *fds, int max) {
	int n = 0;
	while (*p && n < max) {
		fds[n++] = (int)strtol(p, &p, 10);
		if (*p != ',')
			break;
		p++;
	}
	return n;
}

static void failfd(const char *what, int fd) {
	char link[64], target[256], msg[320];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, target, sizeof target - 1);
	target[n > 0 ? n : 0] = 0;
	snprintf(msg, sizeof msg, "%s %s", what, n > 0 ? target : "?");
	fail(msg);
}

static void enter(const char *spec, int argc, char **argv) {
	int ns[16], nns = 0, cg[16], ncg = 0, root = -1, cwd = -1, user = 0, dofork = 0;
	char *copy = strdup(spec);
	for (char *tok = strtok(copy, " "); tok; tok = strtok(NULL, " ")) {
		if (!strncmp(tok, "ns=", 3)) {
			nns = fdlist(tok + 3, ns, 16);
		} else if (!strncmp(tok, "cgroup=", 7)) {
			ncg = fdlist(tok + 7, cg, 16);
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
	// The target's cgroups first, while this process is still the host's: writing 0 to a
	// cgroup.procs moves the writer, and the command (exec'd, or forked below) is then born there,
	// as docker exec's and podman exec's are.
	for (int i = 0; i < ncg; i++) {
		if (write(cg[i], "0", 1) != 1) {
			if (errno == EBUSY)
				failfd("joining the cgroup (it has child cgroups with controllers: v2 keeps processes in leaves)", cg[i]);
			failfd("joining the cgroup", cg[i]);
		}
		close(cg[i]);
	}
	// The user namespace, when asked, comes first in ns: once in it, the others (owned by it)
	// are joined with the capabilities it gives.
	for (int i = 0; i < nns; i++) {
		if (setns(ns[i], 0) != 0)
			failfd("setns", ns[i]);
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
		if (pid < 0 && errno == EAGAIN && ncg > 0)
			fail("fork in the target's cgroup (is it at its pids.max?)");
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
			// An interactive shell puts itself in a process group of its own and makes it the
			// terminal's foreground; gone, it leaves the terminal to a group that no longer
			// exists. Take it back for the group this process shares with whoever waits on it.
			if (isatty(0)) {
				signal(SIGTTOU, SIG_IGN);
				tcsetpgrp(0, getpgrp());
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

// flag_value is the value of a subcommand's flag NAME as Go's flag package reads it (-NAME V,
// --NAME V, -NAME=V, --NAME=V; the last one wins; none after "--"), or def. The Go side checks that
// it read the same (early.Listener, early.NewWriter).
static const char *flag_value(int argc, char **argv, const char *name, const char *def) {
	size_t l = strlen(name);
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--"))
			break;
		if (a[0] == '-' && a[1] == '-')
			a++;
		if (a[0] != '-' || strncmp(a + 1, name, l))
			continue;
		if (a[l + 1] == 0 && i + 1 < argc)
			def = argv[++i];
		else if (a[l + 1] == '=')
			def = a + l + 2;
	}
	return def;
}

// serve_listen makes `isotop serve`'s listening socket before the lockdown, which forbids making
// one: its --listen (the Go flag's forms), by default 127.0.0.1:7319. The Go side takes it
// (early.Listener) and checks the rest (a non-loopback address needs a token).
static void serve_listen(int argc, char **argv) {
	if (argc < 2 || strcmp(argv[1], "serve"))
		return;
	const char *addr = flag_value(argc, argv, "listen", "127.0.0.1:7319");
	char host[256];
	const char *colon = strrchr(addr, ':');
	size_t n = colon ? (size_t)(colon - addr) : 0;
	if (!colon || n >= sizeof host) {
		snprintf(isotop_listen_err, sizeof isotop_listen_err, "--listen %.64s: not HOST:PORT", addr);
		return;
	}
	memcpy(host, addr, n);
	host[n] = 0;
	char *h = host;
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') { // [::1]:7319
		host[n - 1] = 0;
		h = host + 1;
	}
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV}, *res;
	int err = getaddrinfo(h[0] ? h : NULL, colon + 1, &hints, &res);
	if (err != 0) {
		snprintf(isotop_listen_err, sizeof isotop_listen_err, "--listen %.64s: %s", addr, gai_strerror(err));
		return;
	}
	int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 512) != 0) {
		snprintf(isotop_listen_err, sizeof isotop_listen_err, "--listen %.64s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return;
	}
	freeaddrinfo(res);
	isotop_listen_fd = fd;
	isotop_note("listen=%.64s", addr);
}

// record_output opens `isotop record`'s directory of recordings (its --output, by default
// /var/lib/isotop/record) before the lockdown, for the writer helper: the lockdown's one exception
// for the recorder. It must exist (nothing is made before isotop's flags are checked); a symlink
// as its last element is refused.
static void record_output(int argc, char **argv) {
	if (argc < 2 || strcmp(argv[1], "record"))
		return;
	const char *path = flag_value(argc, argv, "output", "/var/lib/isotop/record");
	if (!path[0] || strlen(path) >= sizeof isotop_record_path) {
		snprintf(isotop_writer_err, sizeof isotop_writer_err, "--output %.64s: not a directory's path", path);
		return;
	}
	snprintf(isotop_record_path, sizeof isotop_record_path, "%s", path);
	// Open for reading (not O_PATH): the lock below needs it. One recorder a directory: a second
	// would prune the file the first is writing.
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		isotop_writer_errno = errno;
		snprintf(isotop_writer_err, sizeof isotop_writer_err, "--output %.200s: %s", path, strerror(errno));
	} else if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
		snprintf(isotop_writer_err, sizeof isotop_writer_err, "--output %.150s: writable by every user (mode %o): not a directory of recordings", path, st.st_mode & 07777);
	} else if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(isotop_writer_err, sizeof isotop_writer_err, "--output %.200s: %s", path,
			 errno == EWOULDBLOCK ? "another isotop record writes into it" : strerror(errno));
	} else {
		isotop_record_dir = fd; // the writer helper keeps it, and the lock with it
		return;
	}
	if (fd >= 0)
		close(fd);
}

// record_execs subscribes a NETLINK_CONNECTOR socket to the kernel's proc connector for `isotop
// record` before the lockdown (which forbids making a socket; before 6.6 subscribing needs
// CAP_NET_ADMIN): the recorder sees every exec into a container as it happens. From 6.6 the
// subscription filters exec events alone (probe.ListenMessage is the same message). The socket
// goes to the execs helper (lockdown.c), never to the main process: through a connector socket a
// process may send to the kernel's connector handlers, some of which check no capability.
static void record_execs(int argc, char **argv) {
	if (argc < 2 || strcmp(argv[1], "record"))
		return;
	struct utsname u;
	int major = 0, minor = 0;
	if (uname(&u) == 0)
		sscanf(u.release, "%d.%d", &major, &minor);
	int filter = major > 6 || (major == 6 && minor >= 6);
	struct {
		struct nlmsghdr nl;
		uint32_t idx, val, seq, ack;
		uint16_t len, flags;
		uint32_t op, events;
	} __attribute__((packed)) msg;
	memset(&msg, 0, sizeof msg);
	msg.nl.nlmsg_len = filter ? sizeof msg : sizeof msg - 4;
	msg.nl.nlmsg_type = NLMSG_DONE;
	msg.nl.nlmsg_pid = getpid();
	msg.idx = 1; // CN_IDX_PROC
	msg.val = 1; // CN_VAL_PROC
	msg.len = filter ? 8 : 4;
	msg.op = 1;     // PROC_CN_MCAST_LISTEN
	msg.events = 2; // PROC_EVENT_EXEC
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = 1}, to = {.nl_family = AF_NETLINK};
	// Blocking reads that time out (probe.ExecWatcher sees its Close), and room for a burst of
	// execs; the main process may not set socket options.
	struct timeval tv = {.tv_usec = 500000};
	int rcvbuf = 1 << 20;
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
	    (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0 &&
	     setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) != 0) || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    sendto(fd, &msg, msg.nl.nlmsg_len, 0, (struct sockaddr *)&to, sizeof to) < 0) {
		snprintf(isotop_execs_err, sizeof isotop_execs_err, "proc connector: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	isotop_execs_fd = fd;
	isotop_note("execs=proc-connector%s", filter ? "(exec only)" : "");
}

__attribute__((constructor)) static void isotop_early(int argc, char **argv, char **envp) {
	(void)envp;
	if (readOnlyAsked(argc, argv)) {
		serve_listen(argc, argv);
		record_output(argc, argv);
		record_execs(argc, argv);
		isotop_readonly_lockdown();
		if (getenv("_ISOTOP_ENTER") || getenv("_ISOTOP_SANDBOX") || getenv("_ISOTOP_INIT") || (argc > 0 && child(argv[0]))) {
			// A re-executed child's job is to change the host: never in read-only mode.
			fprintf(stderr, "isotop: read-only mode: refusing to enter namespaces or start a sandbox\n");
			_exit(126);
		}
		return;
	}
	const char *spec = getenv("_ISOTOP_ENTER");
	if (spec && argc > 0 && !strcmp(argv[0], "isotop-enter"))
		enter(spec, argc, argv);
	if (getenv("_ISOTOP_SANDBOX") && argc > 0 && !strcmp(argv[0], "isotop-sandbox"))
		isotop_sandbox_first(getenv("_ISOTOP_INIT") != NULL);
}
