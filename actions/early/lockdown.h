// The read-only lockdown: see lockdown.c. Declared here for early.c and for the test driver
// (testdata/attack.c) that applies the same profiles to itself and tries to change the host.
#ifndef ISOTOP_LOCKDOWN_H
#define ISOTOP_LOCKDOWN_H

#include <stddef.h>
#include <sys/types.h>

// isotop_lockdown is the account of what was done, read by the Go side (Lockdown.Requested).
extern char isotop_lockdown[512];
// isotop_helper_fd and isotop_files_fd are the main process's ends of the helpers' sockets (the
// namespace helper's, the files helper's), -1 without one.
extern int isotop_helper_fd;
extern int isotop_files_fd;
// isotop_listen_fd is isotop serve's listening socket in read-only mode, made and bound before the
// lockdown (which allows accepting on it and nothing else of sockets), -1 without one;
// isotop_listen_err says why it could not be made.
extern int isotop_listen_fd;
extern char isotop_listen_err[256];
// isotop_record_dir is isotop record's directory of recordings, opened (O_PATH) by early.c before
// the lockdown for the writer helper alone; isotop_writer_fd the main process's end of that
// helper's socket, -1 without one; isotop_writer_err says why the directory could not be opened.
extern int isotop_record_dir;
extern char isotop_record_path[4096]; // the --output early.c read
// isotop_execs_fd is isotop record's proc connector socket (exec events), subscribed by early.c
// before the lockdown; the lockdown gives it to the execs helper, and this becomes the main
// process's end of that helper's socket, on which it forwards what the kernel sends; -1 without
// one (isotop_execs_err says why).
extern int isotop_execs_fd;
extern int isotop_execs_cn; // the connector socket itself, the execs helper's alone
extern char isotop_execs_err[256];

extern int isotop_writer_fd;
extern char isotop_writer_err[256];
extern int isotop_writer_errno; // the errno of opening it, 0 for another reason
// isotop_readonly is 1 once the lockdown ran (whatever it achieved), for the Go side.
extern int isotop_readonly;

// The read-only identity: the "isotop" system user from /etc/passwd, else nobody (65534).
struct isotop_identity {
	uid_t uid;
	gid_t gid;
	char name[32];
};
int isotop_identity_from(const char *passwd, struct isotop_identity *id);

// Helper protocol (a SOCK_SEQPACKET pair): the main process sends a request with one namespace
// descriptor (SCM_RIGHTS); the helper answers with a reply, and for ISOTOP_OP_NETLINK one
// descriptor, a NETLINK_ROUTE socket made inside that network namespace.
//
// The files helper takes a request with a path and no descriptor (ISOTOP_OP_OPEN) and answers with
// one descriptor, open for reading, of a regular file or a directory beneath the runtimes' state
// directories (ISOTOP_FILES_DIRS), or an error.
//
// The writer helper (isotop record's) takes a name (isotop-….rec, no '/') in path: ISOTOP_OP_CREATE
// answers with the new file open for writing, ISOTOP_OP_REMOVE removes it, ISOTOP_OP_STAT puts
// "SIZE MTIME_SEC MTIME_NSEC" in name; ISOTOP_OP_LIST (no name) answers with the directory open for
// reading.
enum {
	ISOTOP_OP_NETLINK = 1,
	ISOTOP_OP_UTSNAME = 2,
	ISOTOP_OP_OPEN = 3,
	ISOTOP_OP_CREATE = 4,
	ISOTOP_OP_REMOVE = 5,
	ISOTOP_OP_LIST = 6,
	ISOTOP_OP_STAT = 7,
};
struct isotop_request {
	unsigned int op;
	char path[4096]; // ISOTOP_OP_OPEN
};
struct isotop_reply {
	int err; // 0, or the errno of the step that failed
	char step[16]; // which step failed ("setns", "socket", …)
	char name[65]; // ISOTOP_OP_UTSNAME: the nodename
};

// Each profile drops the process to the read-only identity with only the capabilities it keeps,
// sets no_new_privs, and loads its seccomp allow-list; the helper's also enters a Landlock domain
// that grants nothing. They return 0, or -1 with what failed noted in isotop_lockdown.
int isotop_main_profile(const struct isotop_identity *id);
int isotop_helper_profile(const struct isotop_identity *id, int sock);
int isotop_files_profile(const struct isotop_identity *id, int sock);
int isotop_writer_profile(const struct isotop_identity *id, int sock);
int isotop_execs_profile(const struct isotop_identity *id, int sock);
// isotop_helper_serve and isotop_files_serve answer requests on sock until the main process closes
// its end.
void isotop_helper_serve(int sock);
void isotop_files_serve(int sock);
void isotop_writer_serve(int sock);
void isotop_execs_serve(int sock);
// isotop_readonly_lockdown forks the helper and locks this process down (early.c's entry).
void isotop_readonly_lockdown(void);

void isotop_note(const char *fmt, ...);

// isotop_sandbox_first is the sandbox's first process (sandbox.c): it returns only in the forked
// child that builds the sandbox in Go.
void isotop_sandbox_first(int withInit);

#endif
