#!/usr/bin/env bash
# Regenerates the probe fixtures in this directory from live kernels.
#
# usage: probe/testdata/capture.sh hybrid|hybrid-sys|v2|v1|all
#   hybrid  capture this machine (must be root, in the host's namespaces, on a kernel that mounts
#           cgroups v1 + the v2 "unified" hierarchy). Starts a few processes in new namespaces and a
#           bind-mounted network namespace, copies their /proc files, then removes everything again.
#   hybrid-sys  capture this machine's /sys/fs/cgroup (same host requirements) into hybrid/sys and
#           v1/sys (without unified/): makes /isotop-test-fix/app with limits and one loaded process
#           in blkio cpu cpuacct cpuset memory pids unified, copies those directories and the roots,
#           removes everything again. Leaves the proc/ trees alone.
#   v2      boot a pure cgroup v2 kernel with the project's harness (go run ./probe/probetest/v2host/run:
#           qemu + busybox), capture /proc and /sys/fs/cgroup there, ship it back as a base64 tar.
#   v1      derive v1/ from hybrid/ (drop the cgroup2 mount and the "0::" cgroup lines,
#           and sys/fs/cgroup/unified).
#
# Every file under <fixture>/proc and <fixture>/sys is copied with cat from the live kernel; nothing is
# hand-written except hybrid/proc/999999 (a "vanished" pid, an empty directory plus a .gitkeep so git
# keeps it) and the edits that make v1 from hybrid. proc/PID/ns/* are symlinks whose target is exactly
# what readlink(2) on /proc/PID/ns/* returned; proc/self is a relative symlink to the capturing shell.
# Pids and namespace inodes are the real ones and change on every run: update README.md afterwards.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# The pure v2 guest: the project's own harness, from whatever checkout this script is in.
v2host() { (cd "$repo" && go run ./probe/probetest/v2host/run "$@"); }

# Shared by the host (bash) and the v2 guest (busybox ash): keep it POSIX sh.
COMMON=$(cat <<'EOF'
cap_common() { # DEST: the files read once per proc root
  mkdir -p "$1/proc/sys/kernel"
  cat /proc/stat > "$1/proc/stat"
  cat /proc/sys/kernel/osrelease > "$1/proc/sys/kernel/osrelease"
  cat /proc/sys/kernel/hostname > "$1/proc/sys/kernel/hostname"
}
cap_pid() { # DEST PID: per-process files; a file that cannot be read is left out, and so is ns/
  _d=$1/proc/$2; mkdir -p "$_d"
  for _f in stat status cmdline cgroup mountinfo uid_map gid_map; do
    cat "/proc/$2/$_f" > "$_d/$_f" 2>/dev/null || rm -f "$_d/$_f"
  done
  for _n in cgroup ipc mnt net pid pid_for_children time time_for_children user uts; do
    _t=$(readlink "/proc/$2/ns/$_n" 2>/dev/null) || continue
    mkdir -p "$_d/ns"; ln -s "$_t" "$_d/ns/$_n"
  done
}
wait_kids() { # PID N: print the children of PID once it has at least N
  _i=0
  while [ $_i -lt 200 ]; do
    _k=$(cat "/proc/$1/task/$1/children" 2>/dev/null || true)
    set -- "$1" "$2" $_k
    if [ $(($# - 2)) -ge "$2" ]; then shift 2; echo "$@"; return 0; fi
    sleep 0.05; _i=$((_i + 1))
  done
  echo "timeout waiting for children of $1" >&2; return 1
}
wait_comm() { # PID COMM: wait until PID has exec'd COMM
  _i=0
  while [ $_i -lt 200 ]; do
    [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ] && return 0
    sleep 0.05; _i=$((_i + 1))
  done
  echo "timeout waiting for $1 to become $2" >&2; return 1
}
EOF
)
eval "$COMMON"

first() { echo "$1"; }

capture_hybrid() {
  [ "$(id -u)" = 0 ] || { echo "hybrid: must run as root" >&2; exit 1; }
  [ "$(readlink /proc/self/ns/pid)" = "$(readlink /proc/2/ns/pid)" ] ||
    { echo "hybrid: run this in the host's namespaces" >&2; exit 1; }
  local out=$here/hybrid
  tmp=$(mktemp -d); started=(); netns=isotop-test-fixture; had_run_netns=no
  [ -d /run/netns ] && had_run_netns=yes
  cleanup() {
    set +e
    for p in "${started[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${started[@]}"; do wait "$p" 2>/dev/null; done
    ip netns del "$netns" 2>/dev/null
    if [ "$had_run_netns" = no ] && [ -d /run/netns ]; then
      mountpoint -q /run/netns && umount /run/netns
      rmdir /run/netns
    fi
    rm -rf "$tmp"
  }
  trap cleanup EXIT

  # (a) new pid/mnt/uts/ipc/net/cgroup namespaces: unshare -> sh (pid 1 inside) -> 2 x sleep
  unshare --fork --pid --mount-proc --uts --ipc --net --cgroup --kill-child sh -c 'sleep 300 & sleep 300' &
  local ns_unshare=$!; started+=("$ns_unshare")
  local ns_sh; ns_sh=$(first $(wait_kids "$ns_unshare" 1))
  local ns_sleep; ns_sleep=$(first $(wait_kids "$ns_sh" 2))
  wait_comm "$ns_sleep" sleep

  # (b) user namespace with a 65536-id map written by the parent (no newuidmap on this host):
  #     holder = a sleep that unshared the user ns (host uid 0, unmapped inside);
  #     userns = a sleep that joined it with nsenter as uid/gid 0 inside = 100000 outside.
  unshare --user sleep 300 &
  local holder=$!; started+=("$holder")
  local i=0
  while [ "$(readlink /proc/$holder/ns/user)" = "$(readlink /proc/self/ns/user)" ] ||
        [ "$(cat /proc/$holder/comm)" != sleep ]; do
    sleep 0.05; i=$((i + 1)); [ $i -lt 200 ] || { echo "user ns did not appear" >&2; exit 1; }
  done
  echo '0 100000 65536' > /proc/$holder/uid_map
  echo '0 100000 65536' > /proc/$holder/gid_map
  nsenter --target "$holder" --user --setuid 0 --setgid 0 sleep 300 &
  local userns=$!; started+=("$userns")
  wait_comm "$userns" sleep

  # (c) a network namespace held only by its bind mount at /run/netns/$netns
  ip netns add "$netns"

  rm -rf "$out/proc"; mkdir -p "$out/proc" # hybrid/sys is capture_hybrid_sys's
  cap_common "$out"
  for p in 1 2 $$ "$ns_unshare" "$ns_sh" "$ns_sleep" "$holder" "$userns"; do cap_pid "$out" "$p"; done
  ln -s "$$" "$out/proc/self"
  mkdir -p "$out/proc/999999"; : > "$out/proc/999999/.gitkeep"

  echo "hybrid facts:"
  echo "  self=$$ ns_unshare=$ns_unshare ns_sh=$ns_sh ns_sleep=$ns_sleep holder=$holder userns=$userns"
  echo "  host net: $(readlink /proc/self/ns/net)   tree pid ns: $(readlink /proc/$ns_sh/ns/pid)"
  echo "  user ns: $(readlink /proc/$userns/ns/user)   uid_map: $(cat /proc/$userns/uid_map)"
  echo "  bind-mounted netns /run/netns/$netns: inode $(stat -L -c %i /run/netns/$netns)"
  grep nsfs /proc/self/mountinfo | sed 's/^/  /'
  cleanup; trap - EXIT
  echo "cleaned up: ip netns list = [$(ip netns list)]"
}

# The sys side of hybrid and v1: hybrid/sys/fs/cgroup/<h>/ for the v1 hierarchies in SYS_V1 and the
# cgroup2 "unified" one, each with its root directory and a test tree /isotop-test-fix/app made here.
# One process (a sh that joins app everywhere, does some direct I/O, then execs perl) burns 1.2 s of
# CPU under app's 0.5-CPU quota (so it gets throttled), keeps an 8 MB string and a 4 MB page-cached
# file, and sleeps while every readable regular file of those directories is copied. Files whose read
# fails (write-only ones) and files over 64 KB are left out; other child cgroups (process_api/ in
# memory) are not copied. v1/sys is the same tree without unified/. hybrid/proc is not touched.
SYS_V1=(blkio cpu cpuacct cpuset memory pids)
capture_hybrid_sys() {
  [ "$(id -u)" = 0 ] || { echo "hybrid-sys: must run as root" >&2; exit 1; }
  local h; cg=/sys/fs/cgroup name=isotop-test-fix # globals: cleanup_sys may run from the EXIT trap
  hier=("${SYS_V1[@]}" unified)
  for h in "${hier[@]}"; do
    mountpoint -q "$cg/$h" || { echo "hybrid-sys: $cg/$h is not mounted" >&2; exit 1; }
    [ ! -e "$cg/$h/$name" ] || { echo "hybrid-sys: $cg/$h/$name already exists" >&2; exit 1; }
  done
  systmp=$(mktemp -d); worker=
  cleanup_sys() {
    set +e
    if [ -n "$worker" ]; then kill "$worker" 2>/dev/null; wait "$worker" 2>/dev/null; fi
    for h in "${hier[@]}"; do
      rmdir "$cg/$h/$name/app" "$cg/$h/$name" 2>/dev/null
    done
    rm -rf "$systmp"
  }
  trap cleanup_sys EXIT

  for h in "${hier[@]}"; do mkdir "$cg/$h/$name" "$cg/$h/$name/app"; done
  echo 64M > "$cg/memory/$name/memory.limit_in_bytes"
  echo 32M > "$cg/memory/$name/app/memory.limit_in_bytes"
  echo 16M > "$cg/memory/$name/app/memory.soft_limit_in_bytes"
  echo 150000 > "$cg/cpu/$name/cpu.cfs_quota_us"
  echo 100000 > "$cg/cpu/$name/app/cpu.cfs_period_us"
  echo 50000 > "$cg/cpu/$name/app/cpu.cfs_quota_us"
  echo 512 > "$cg/cpu/$name/app/cpu.shares"
  echo 100 > "$cg/pids/$name/pids.max"
  echo 20 > "$cg/pids/$name/app/pids.max"
  for d in "$cg/cpuset/$name" "$cg/cpuset/$name/app"; do
    echo 0 > "$d/cpuset.cpus"; echo 0 > "$d/cpuset.mems"
  done
  # v1 blkio counts I/O only on a queue where blk-throttle is active, and a rule activates it: give
  # app a limit that never bites (1 TiB/s) on the disk under $systmp. The queue stays activated
  # (without any limit) after app is gone, until the disk goes away.
  local dev; dev=$(findmnt -no MAJ:MIN -T "$systmp" | tr -d " ")
  [ ! -e "/sys/dev/block/$dev/partition" ] || dev=$(cat "/sys/dev/block/$dev/../dev")
  echo "$dev 1099511627776" > "$cg/blkio/$name/app/blkio.throttle.read_bps_device"
  echo "$dev 1099511627776" > "$cg/blkio/$name/app/blkio.throttle.write_bps_device"

  # The worker joins app in every hierarchy itself, so all it does afterwards is charged there.
  # dd: 4 MB of direct writes, then a buffered read of it back (blkio bytes, page cache);
  # perl: 1.2 s CPU (user + system: the loop is mostly the times syscall), an 8 MB string,
  # then the ready file, then sleep.
  local dirs=(); for h in "${hier[@]}"; do dirs+=("$cg/$h/$name/app"); done
  sh -c 'f=$1; shift
    for d; do echo $$ > "$d/cgroup.procs"; done
    dd if=/dev/zero of="$f.data" bs=1M count=4 oflag=direct status=none
    dd if="$f.data" of=/dev/null bs=1M status=none
    exec perl -e '\''1 while do { my ($u, $s) = times; $u + $s } < 1.2; my $x = "a" x 8_000_000;
      open(my $r, ">", $ARGV[0]) or die; close $r; sleep 600; print length $x'\'' "$f.ready"' \
    sh "$systmp/w" "${dirs[@]}" &
  worker=$!
  local i=0
  until [ -e "$systmp/w.ready" ]; do
    sleep 0.1; i=$((i + 1)); [ $i -lt 300 ] || { echo "hybrid-sys: worker not ready" >&2; exit 1; }
  done
  sleep 1 # let the PSI averages and stats settle a little

  local out=$here/hybrid/sys/fs/cgroup skipped=()
  rm -rf "$here/hybrid/sys"
  for h in "${hier[@]}"; do
    local rel src dst f
    for rel in "" "/$name" "/$name/app"; do
      src=$cg/$h$rel; dst=$out/$h$rel; mkdir -p "$dst"
      for f in "$src"/*; do
        [ -f "$f" ] || continue
        if ! cat "$f" > "$dst/${f##*/}" 2>/dev/null; then
          rm -f "$dst/${f##*/}"; skipped+=("$h$rel/${f##*/} (unreadable)")
        elif [ "$(stat -c %s "$dst/${f##*/}")" -gt 65536 ]; then
          rm -f "$dst/${f##*/}"; skipped+=("$h$rel/${f##*/} (over 64 KB)")
        fi
      done
    done
  done
  rm -rf "$here/v1/sys"
  if [ -d "$here/v1" ]; then
    cp -a "$here/hybrid/sys" "$here/v1/sys"; rm -rf "$here/v1/sys/fs/cgroup/unified"
  fi

  echo "hybrid-sys facts: worker pid $worker ($(cat /proc/$worker/comm))"
  printf '  skipped: %s\n' "${skipped[@]}"
  cleanup_sys; trap - EXIT
  echo "cleaned up: [$(ls -d "$cg"/*/isotop-test* 2>/dev/null)]"
}

# The guest script (busybox ash). cgroup2 is mounted at /sys/fs/cgroup with all controllers enabled
# at the root. Everything goes to /tmp/stage and leaves as a gzip'd tar, base64, between markers.
GUEST=$(cat <<'EOF'
set -e
S=/tmp/stage; CG=/sys/fs/cgroup; F=$CG/isotop-test-fix; A=$F/app
mkdir -p $S/proc
mkdir $F
echo 64M > $F/memory.max
echo 100 > $F/pids.max
echo '+cpu +memory +pids' > $F/cgroup.subtree_control
mkdir $A
echo 32M > $A/memory.max
echo 20 > $A/pids.max
echo '50000 100000' > $A/cpu.max

# a plain sleep, moved into app
sleep 300 &
LONE=$!
echo $LONE > $A/cgroup.procs

# a namespaced tree, started inside app: unshare -> sh (pid 1 inside) -> 2 x sleep
sh -c "echo \$\$ > $A/cgroup.procs; exec unshare -f -p -m -u -i -n --mount-proc sh -c 'sleep 300 & sleep 300; wait'" &
NSU=$!
wait_comm $NSU unshare
NSSH=$(wait_kids $NSU 1); NSSH=${NSSH%% *}
NSSLEEP=$(wait_kids $NSSH 2); NSSLEEP=${NSSLEEP%% *}
wait_comm $NSSLEEP sleep

# a user namespace with busybox's -r map (0 0 1, setgroups deny), in the root cgroup
unshare -U -r sleep 300 &
USERNS=$!
i=0
while [ "$(readlink /proc/$USERNS/ns/user)" = "$(readlink /proc/self/ns/user)" ] ||
      [ "$(cat /proc/$USERNS/comm)" != sleep ]; do sleep 0.05; i=$((i+1)); [ $i -lt 200 ]; done

# a network namespace held only by a bind mount (busybox has no "ip netns"; this is what it does)
mkdir -p /run/netns; touch /run/netns/isotop-test-fixture
unshare --net=/run/netns/isotop-test-fixture true

cap_common $S
for p in 1 2 $$ $LONE $NSU $NSSH $NSSLEEP $USERNS; do cap_pid $S $p; done
ln -s $$ $S/proc/self

capcg() { # copy every readable regular file of one cgroup directory
  mkdir -p "$S/sys/fs/cgroup$1"
  for f in "$CG$1"/*; do
    [ -f "$f" ] || continue
    case $(stat -c %A "$f") in -r*) ;; *) continue ;; esac
    cat "$f" > "$S/sys/fs/cgroup$1/${f##*/}" 2>/dev/null || rm -f "$S/sys/fs/cgroup$1/${f##*/}"
  done
}
capcg ""; capcg /isotop-test-fix; capcg /isotop-test-fix/app

echo "@@facts self=$$ lone=$LONE ns_unshare=$NSU ns_sh=$NSSH ns_sleep=$NSSLEEP userns=$USERNS" \
  "net=$(readlink /proc/self/ns/net) treepid=$(readlink /proc/$NSSH/ns/pid)" \
  "user=$(readlink /proc/$USERNS/ns/user) map=$(cat /proc/$USERNS/uid_map | tr -s ' ')" \
  "netns=$(grep nsfs /proc/self/mountinfo)@@"
echo "@@isotop-tar-begin@@"
tar -C $S -cf - . | gzip -9 | base64
echo "@@isotop-tar-end@@"
kill $LONE $NSU $USERNS 2>/dev/null || true
EOF
)

capture_v2() {
  local out=$here/v2 log; log=$(mktemp)
  v2host --timeout 4m -- "$COMMON
$GUEST" > "$log"
  grep '^@@facts' "$log" || true
  rm -rf "$out"; mkdir -p "$out"
  awk '/^@@isotop-tar-begin@@$/ {on=1; next} /^@@isotop-tar-end@@$/ {on=0} on' "$log" |
    grep -E '^[A-Za-z0-9+/=]+$' | base64 -d | tar -xzf - -C "$out" --no-same-owner
  rm -f "$log"
}

capture_v1() {
  [ -d "$here/hybrid/proc" ] || { echo "v1: capture hybrid first" >&2; exit 1; }
  rm -rf "$here/v1"; cp -a "$here/hybrid" "$here/v1"
  find "$here/v1/proc" -name mountinfo -type f -exec sed -i '/ - cgroup2 /d' {} +
  find "$here/v1/proc" -name cgroup -type f -exec sed -i '/^0::/d' {} +
  rm -rf "$here/v1/sys/fs/cgroup/unified"
}

case ${1:-} in
  hybrid) capture_hybrid ;;
  hybrid-sys) capture_hybrid_sys ;;
  v2) capture_v2 ;;
  v1) capture_v1 ;;
  all) capture_hybrid; capture_v1; capture_hybrid_sys; capture_v2 ;;
  *) echo "usage: $0 hybrid|hybrid-sys|v2|v1|all" >&2; exit 2 ;;
esac
