# What a root inside a container may do to the host, tried from inside: run by the same busybox in
# an isotop sandbox and in a docker run --rm container (TestSandboxAgainstDocker). Each line is
# NAME=VALUE. Nothing here changes the host even where it is allowed: a sysctl is written with the
# value it has, a device is only opened (or written one line to the kernel log), a disk read for
# one byte. Arguments: the major and minor of the host's root disk.
DISK_MAJOR=$1
DISK_MINOR=$2

# try NAME COMMAND...: allowed when the command succeeds, refused when it fails.
try() {
	name=$1
	shift
	if "$@" >/dev/null 2>&1; then echo "try:$name=allowed"; else echo "try:$name=refused"; fi
}

# The host's kernel settings: writing back the value each has.
try sysctl-printk_ratelimit sh -c 'v=$(cat /proc/sys/kernel/printk_ratelimit) && echo "$v" > /proc/sys/kernel/printk_ratelimit'
try sysctl-core_pattern sh -c 'v=$(cat /proc/sys/kernel/core_pattern) && echo "$v" > /proc/sys/kernel/core_pattern'
try open-sysrq-trigger sh -c ': > /proc/sysrq-trigger'
try open-sys-uevent_helper sh -c ': > /sys/kernel/uevent_helper'
try mkdir-sys-fs-cgroup mkdir /sys/fs/cgroup/isotop-test-probe
# Namespaces and mounts.
try unshare-user unshare -U true
try unshare-user-mount unshare -Urm true
try unshare-mount unshare -m true
try unshare-net unshare -n true
try mount-tmpfs mount -t tmpfs isotop-test /mnt
try mount-proc mount -t proc proc /mnt
# Devices: made with mknod (allowed in both), then opened.
try mknod-write-kmsg sh -c 'mknod /tmp/kmsg c 1 11 && echo "isotop-test: a container wrote to the kernel log" > /tmp/kmsg'
try mknod-open-console sh -c 'mknod /tmp/console c 4 1 && : < /tmp/console'
try mknod-open-mem sh -c 'mknod /tmp/mem c 1 1 && : < /tmp/mem'
try mknod-read-disk sh -c "mknod /tmp/disk b $DISK_MAJOR $DISK_MINOR && head -c 1 /tmp/disk"
try open-dev-null sh -c 'echo x > /dev/null'

# Masked: an empty read (or nothing there) instead of the host's keys, kernel memory, timers.
for p in /proc/asound /proc/acpi /proc/kcore /proc/keys /proc/latency_stats /proc/timer_list /proc/timer_stats \
	/proc/sched_debug /proc/scsi /sys/firmware /sys/devices/virtual/powercap; do
	if [ ! -e "$p" ]; then
		v=absent
	elif [ -d "$p" ]; then
		if [ -z "$(ls -A "$p" 2>/dev/null)" ]; then v=empty; else v=content; fi
	else
		if [ "$(head -c 64 "$p" 2>/dev/null | wc -c)" = 0 ]; then v=empty; else v=content; fi
	fi
	echo "masked:$p=$v"
done

# Read-only: the options of the mount in force at each path (the last one mounted there), or the
# options of the mount it is under; absent when this kernel has no such file.
for p in /proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger /sys; do
	[ -e "$p" ] || { echo "ro:$p=absent"; continue; }
	awk -v p="$p" '
		{ if ($5 == p) opt = $6; else if (index(p, $5 "/") == 1 && length($5) > best) { best = length($5); up = $6 } }
		END { o = opt; if (o == "") o = up; split(o, f, ","); print "ro:" p "=" f[1] }' /proc/self/mountinfo
done

grep -E '^(CapEff|CapBnd|CapPrm|CapInh|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status | tr -d ' \t' | sed 's/:/=/; s/^/status:/'
echo "done=1"
