package procd

import (
	"bytes"
	"testing"
)

// TestGolden renders every file from the known data of data_test.go and
// compares it with what Linux 6.1 prints for the same data.
func TestGolden(t *testing.T) {
	f := newFixture(t)
	root, user := f.as(1, rootCred), f.as(42, userCred)
	for _, tc := range []struct {
		c          *client
		path, want string
	}{
		{root, "1/stat", wantStat1},
		{user, "1/stat", wantStat1Masked},
		{user, "self/stat", wantStat42},
		{root, "1/status", wantStatus1()},
		{root, "1/maps", wantMaps1},
		{root, "1/statm", "273 150 125 176 0 83 0\n"},
		{user, "42/statm", "2048 0 0 0 0 0 0\n"},
		{root, "1/fdinfo/3", "pos:\t0\nflags:\t02\nmnt_id:\t0\nino:\t0\n"},
		{user, "self/fdinfo/0", "pos:\t0\nflags:\t00\nmnt_id:\t0\nino:\t0\n"},
		{root, "1/cmdline", "/sbin/init\x00"},
		{root, "1/environ", "HOME=/\x00TERM=linux\x00"},
		{user, "42/cmdline", "my prog\x00-v\x00\x00"},
		{user, "42/comm", "my prog (x)\n"},
		{root, "net/tcp", wantTCP},
		{root, "net/tcp6", wantTCP6},
		{root, "net/udp", wantUDP},
		{root, "net/udp6", wantUDP6},
		{root, "net/raw", wantRaw},
		{root, "net/raw6", udp6Header},
		{user, "net/unix", wantUnix},
		{user, "1/net/tcp", wantTCP},
		{user, "meminfo", wantMeminfo},
		{user, "uptime", wantUptime},
		{user, "loadavg", wantLoadavg},
		{user, "stat", wantStat},
		{user, "mounts", wantMounts},
		{user, "self/mounts", wantMounts},
		{user, "filesystems", wantFilesystems},
		{user, "version", wantVersion},
		{user, "cmdline", "console=ttyS0 root=/dev/vda\n"},
		{user, "sys/kernel/osrelease", "6.1.0-aramid\n"},
		{user, "sys/kernel/ostype", "Linux\n"},
		{user, "sys/vm/overcommit_memory", "0\n"},
		{user, "sys/vm/max_map_count", "65530\n"},
		{user, "sys/net/ipv4/ip_forward", "0\n"},
		{user, "sys/net/ipv4/tcp_syncookies", "1\n"},
		{user, "sys/net/ipv4/ip_local_port_range", "32768\t60999\n"},
		{user, "sys/fs/file-max", "52428\n"},
		{user, "sys/kernel/hostname", "(none)\n"},
	} {
		if got := tc.c.mustRead(tc.path); got != tc.want {
			t.Errorf("%s as pid %d:\ngot:\n%q\nwant:\n%q", tc.path, tc.c.pid, got, tc.want)
		}
	}
	cpuinfo := root.mustRead("cpuinfo")
	if !bytes.HasPrefix([]byte(cpuinfo), []byte(wantCpuinfo0)) {
		t.Errorf("cpuinfo:\n%s\nwant it to start with:\n%s", cpuinfo, wantCpuinfo0)
	}
}

func TestStatusEscapesName(t *testing.T) {
	f := newFixture(t)
	got := f.as(1, rootCred).mustRead("43/status")
	if want := "Name:\tsu\\\\do\\nx\n"; !bytes.HasPrefix([]byte(got), []byte(want)) {
		t.Errorf("status of a process named %q starts %q, want %q", "su\\do\nx", got[:20], want)
	}
	if want := "Groups:\t1000 27 \n"; !bytes.Contains([]byte(f.as(1, rootCred).mustRead("42/status")), []byte(want)) {
		t.Errorf("status of pid 42 lacks %q", want)
	}
}
