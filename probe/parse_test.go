package probe

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	// Real lines, one with a comm holding spaces and parentheses, as the kernel writes it.
	tests := []struct {
		name, in string
		want     procStat
		wantErr  bool
	}{
		{name: "kernel thread", in: "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 3 0 0 20 0 1 0 5 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
			want: procStat{PID: 2, Comm: "kthreadd", State: 'S', STime: 3, Threads: 1, StartTicks: 5}},
		{name: "comm with spaces and parens", in: "4242 (my (odd) name) R 1 4242 4242 0 -1 4194560 150 0 0 0 12 34 0 0 20 0 3 0 98765 10485760 512 18446744073709551615\n",
			want: procStat{PID: 4242, Comm: "my (odd) name", State: 'R', PPID: 1, UTime: 12, STime: 34, Threads: 3, StartTicks: 98765, RSSPages: 512}},
		{name: "zombie", in: "77 (sh) Z 76 77 77 0 -1 4227084 0 0 0 0 0 0 0 0 20 0 1 0 300 0 0 18446744073709551615 0 0\n",
			want: procStat{PID: 77, Comm: "sh", State: 'Z', PPID: 76, Threads: 1, StartTicks: 300}},
		{name: "empty", in: "", wantErr: true},
		{name: "no comm", in: "12 sh S 1", wantErr: true},
		{name: "truncated", in: "12 (sh) S 1 2 3", wantErr: true},
		{name: "bad pid", in: "x (sh) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22", wantErr: true},
		{name: "bad number", in: "12 (sh) S 1 2 3 4 5 6 7 8 9 10 x 12 13 14 15 16 17 18 19 20 21 22", wantErr: true},
		{name: "two-letter state", in: "12 (sh) SS 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcStat([]byte(tt.in))
			if tt.wantErr {
				if !errors.Is(err, ErrParse) {
					t.Fatalf("err = %v, want ErrParse", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestParseProcStatus(t *testing.T) {
	nested := "Name:\tsleep\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t1817\nNgid:\t0\nPid:\t1817\nPPid:\t1816\n" +
		"Uid:\t1000\t1001\t1002\t1003\nGid:\t100\t101\t102\t103\nNSpid:\t1817\t2\nNSsid:\t0\t1\n"
	tests := []struct {
		name, in string
		want     procStatus
		wantErr  bool
	}{
		{name: "nested pid namespace, effective ids", in: nested, want: procStatus{UID: 1001, GID: 101, NSpid: []int{1817, 2}}},
		{name: "no NSpid (before 4.1)", in: "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n", want: procStatus{}},
		{name: "no Uid", in: "Name:\tx\nGid:\t0\t0\t0\t0\n", wantErr: true},
		{name: "short Uid", in: "Uid:\t0\nGid:\t0\t0\t0\t0\n", wantErr: true},
		{name: "bad NSpid", in: "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nNSpid:\t5\tx\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcStatus([]byte(tt.in))
			if tt.wantErr {
				if !errors.Is(err, ErrParse) {
					t.Fatalf("err = %v, want ErrParse", err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestParseCmdline(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"sleep\x00100\x00", []string{"sleep", "100"}},
		{"sh\x00-c\x00\x00", []string{"sh", "-c"}},
		{"nginx: worker process", []string{"nginx: worker process"}}, // setproctitle, no NUL
		{"a\x00\x00b\x00", []string{"a", "", "b"}},
	}
	for _, tt := range tests {
		if got := parseCmdline([]byte(tt.in)); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseCmdline(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseProcCgroup(t *testing.T) {
	hybrid := "12:pids:/user.slice\n4:cpu,cpuacct:/\n1:name=systemd:/init.scope\n0::/odd:path\n"
	got, err := parseProcCgroup([]byte(hybrid))
	want := []CgroupMembership{
		{Hierarchy: 12, Controllers: []string{"pids"}, Path: "/user.slice"},
		{Hierarchy: 4, Controllers: []string{"cpu", "cpuacct"}, Path: "/"},
		{Hierarchy: 1, Controllers: []string{"name=systemd"}, Path: "/init.scope"},
		{Hierarchy: 0, Controllers: []string{}, Path: "/odd:path"},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, %v; want %+v", got, err, want)
	}
	for _, bad := range []string{"0:/x\n", "x::/\n", "0::relative\n", "-1::/\n"} {
		if _, err := parseProcCgroup([]byte(bad)); !errors.Is(err, ErrParse) {
			t.Errorf("parseProcCgroup(%q) err = %v, want ErrParse", bad, err)
		}
	}
}

func TestParseNSLink(t *testing.T) {
	kind, ino, err := parseNSLink([]byte("net:[4026531833]"))
	if err != nil || kind != NSNet || ino != 4026531833 {
		t.Fatalf("got %s %d %v", kind, ino, err)
	}
	kind, ino, err = parseNSLink([]byte("pid_for_children:[1]"))
	if !errors.Is(err, ErrParse) {
		// the link target of pid_for_children says "pid:[…]"; this name is never a kind
		t.Fatalf("pid_for_children accepted as a kind: %s %d %v", kind, ino, err)
	}
	for _, bad := range []string{"", "net", "net:[]", "net:[x]", "net:4026531833", "net:[0]", "bogus:[12]", ":[12]", "net:[12"} {
		if _, _, err := parseNSLink([]byte(bad)); !errors.Is(err, ErrParse) {
			t.Errorf("parseNSLink(%q) err = %v, want ErrParse", bad, err)
		}
	}
}

func TestParseIDMap(t *testing.T) {
	got, err := parseIDMap([]byte("         0     100000      65536\n     65536          0          1\n"))
	want := []IDMapRange{{0, 100000, 65536}, {65536, 0, 1}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, %v", got, err)
	}
	if got, err := parseIDMap(nil); err != nil || got != nil {
		t.Fatalf("empty map: %v %v", got, err)
	}
	for _, bad := range []string{"0 1\n", "0 1 2 3\n", "0 1 x\n", "0 1 4294967296\n", "-1 0 1\n"} {
		if _, err := parseIDMap([]byte(bad)); !errors.Is(err, ErrParse) {
			t.Errorf("parseIDMap(%q) err = %v, want ErrParse", bad, err)
		}
	}
}

func TestParseBootTime(t *testing.T) {
	got, err := parseBootTime([]byte("cpu  1 2 3\nintr 5\nbtime 1763781514\nprocesses 9\n"))
	if err != nil || !got.Equal(time.Unix(1763781514, 0)) {
		t.Fatalf("got %v %v", got, err)
	}
	for _, bad := range []string{"", "cpu 1\n", "btime x\n", "btime -5\n"} {
		if _, err := parseBootTime([]byte(bad)); !errors.Is(err, ErrParse) {
			t.Errorf("parseBootTime(%q) err = %v, want ErrParse", bad, err)
		}
	}
}

func TestParseMountinfo(t *testing.T) {
	in := "22 27 0:21 / /proc rw,relatime - proc proc rw\n" +
		"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 master:2 - cgroup2 cgroup2 rw\n" +
		"612 29 0:4 net:[4026532284] /run/netns/blue rw shared:300 - nsfs nsfs rw\n" +
		"700 27 254:0 /srv/my\\040dir /mnt/with\\040space\\134x rw - ext4 /dev/vda rw\n"
	got, err := parseMountinfo([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Mount{
		{ID: 22, Parent: 27, Device: "0:21", Root: "/", Point: "/proc", Options: "rw,relatime", FSType: "proc", Source: "proc", SuperOpts: "rw"},
		{ID: 41, Parent: 31, Device: "0:38", Root: "/", Point: "/sys/fs/cgroup/unified", Options: "rw,relatime", FSType: "cgroup2", Source: "cgroup2", SuperOpts: "rw"},
		{ID: 612, Parent: 29, Device: "0:4", Root: "net:[4026532284]", Point: "/run/netns/blue", Options: "rw", FSType: "nsfs", Source: "nsfs", SuperOpts: "rw"},
		{ID: 700, Parent: 27, Device: "254:0", Root: "/srv/my dir", Point: `/mnt/with space\x`, Options: "rw", FSType: "ext4", Source: "/dev/vda", SuperOpts: "rw"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%+v\nwant\n%+v", got, want)
	}
	for _, bad := range []string{"22 27 0:21 / /proc rw\n", "x 27 0:21 / /proc rw - proc proc rw\n", "22 27 021 / /proc rw - proc proc rw\n", "1 2 0:1 / / rw -\n"} {
		if _, err := parseMountinfo([]byte(bad)); !errors.Is(err, ErrParse) {
			t.Errorf("parseMountinfo(%q) err = %v, want ErrParse", bad, err)
		}
	}
}
