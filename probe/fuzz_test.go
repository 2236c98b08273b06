package probe

import (
	"errors"
	"testing"
)

// The fuzz targets check that no input makes a parser panic, and that every failure is ErrParse
// (so callers can tell bad content from a failed read). Seeds are the table tests' real lines.

func fuzzParser[T any](f *testing.F, seeds []string, parse func([]byte) (T, error)) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := parse(data); err != nil && !errors.Is(err, ErrParse) {
			t.Fatalf("error %v does not wrap ErrParse", err)
		}
	})
}

func FuzzParseProcStat(f *testing.F) {
	fuzzParser(f, []string{"4242 (my (odd) name) R 1 4242 4242 0 -1 4194560 150 0 0 0 12 34 0 0 20 0 3 0 98765 10485760 512 1\n"}, parseProcStat)
}

func FuzzParseProcStatus(f *testing.F) {
	fuzzParser(f, []string{"Uid:\t1000\t1001\t1002\t1003\nGid:\t100\t101\t102\t103\nNSpid:\t1817\t2\n"}, parseProcStatus)
}

func FuzzParseProcCgroup(f *testing.F) {
	fuzzParser(f, []string{"12:pids:/user.slice\n4:cpu,cpuacct:/\n0::/a:b\n"}, parseProcCgroup)
}

func FuzzParseNSLink(f *testing.F) {
	fuzzParser(f, []string{"net:[4026531833]", "user:[1]"}, func(b []byte) (uint64, error) {
		_, ino, err := parseNSLink(b)
		return ino, err
	})
}

func FuzzParseIDMap(f *testing.F) {
	fuzzParser(f, []string{"0 100000 65536\n1 2 3\n"}, parseIDMap)
}

func FuzzParseMountinfo(f *testing.F) {
	fuzzParser(f, []string{"612 29 0:4 net:[4026532284] /run/netns/blue rw shared:300 - nsfs nsfs rw\n700 27 254:0 /a\\040b /c rw - ext4 /dev/vda rw\n"}, parseMountinfo)
}

func FuzzParseBootTime(f *testing.F) {
	fuzzParser(f, []string{"cpu 1\nbtime 1763781514\n"}, parseBootTime)
}

func FuzzParseCmdline(f *testing.F) {
	fuzzParser(f, []string{"sleep\x00100\x00"}, func(b []byte) ([]string, error) { return parseCmdline(b), nil })
}

func FuzzParseLimit(f *testing.F) {
	fuzzParser(f, []string{"max\n", "67108864\n", "-1", "9223372036854771712"}, ParseLimit)
}

func FuzzParseFlatKeyed(f *testing.F) {
	fuzzParser(f, []string{"usage_usec 31394\nuser_usec 0\n", "oom_kill 1\n"}, parseFlatKeyed)
}

func FuzzParseCPUMax(f *testing.F) {
	fuzzParser(f, []string{"50000 100000\n", "max 100000\n"}, func(b []byte) (Limit, error) {
		q, _, err := parseCPUMax(b)
		return q, err
	})
}

func FuzzParsePSI(f *testing.F) {
	fuzzParser(f, []string{"some avg10=8.33 avg60=1.50 avg300=0.31 total=1152778\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"}, parsePSI)
}

func FuzzParseIOStat(f *testing.F) {
	fuzzParser(f, []string{"8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n"}, parseIOStat)
}

func FuzzParseBlkio(f *testing.F) {
	fuzzParser(f, []string{"254:0 Read 4194304\n254:0 Write 8192\nTotal 4202496\n"}, func(b []byte) ([]IODevice, error) {
		return parseBlkio(b, nil, false)
	})
}

func FuzzParseCPUList(f *testing.F) {
	fuzzParser(f, []string{"0-3,8,10-11\n", "0\n"}, parseCPUList)
}
