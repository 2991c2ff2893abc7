package procd

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"aramid/test/needroot"
)

// This file parses /proc the way busybox 1.35's ps, top and free do
// (libbb/procps.c, procps/top.c, procps/free.c), and checks that both the
// host's files and procd's pass through it to the same values.

// bbProc is what procps_scan keeps of /proc/<pid>/stat.
type bbProc struct {
	comm                    string
	state                   string
	ppid, pgid, sid         int64
	ttyMajor, ttyMinor      int64
	utime, stime, startTime uint64
	vszKB, rssKB            uint64
	cpu                     int64
}

// bbScanf mimics sscanf's numeric conversions: each skips leading white
// space and reads an optionally signed decimal number.
type bbScanf struct{ s string }

func (p *bbScanf) token() (string, bool) {
	p.s = strings.TrimLeft(p.s, " \t\n")
	if p.s == "" {
		return "", false
	}
	i := strings.IndexAny(p.s, " \t\n")
	if i < 0 {
		i = len(p.s)
	}
	tok := p.s[:i]
	p.s = p.s[i:]
	return tok, true
}

func (p *bbScanf) skip(n int) bool {
	for ; n > 0; n-- {
		if _, ok := p.token(); !ok {
			return false
		}
	}
	return true
}

func (p *bbScanf) num() (int64, bool) {
	tok, ok := p.token()
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(tok, 10, 64)
	if err != nil {
		u, err := strconv.ParseUint(tok, 10, 64)
		return int64(u), err == nil
	}
	return v, true
}

// bbParseStat is procps_scan's stat parsing: the name runs from the
// first '(' to the last ')', at most 15 bytes kept; then state, ppid,
// pgid, sid, tty, six skipped, utime, stime, three skipped, nice, two
// skipped, start_time, vsize (bytes), rss (pages), 14 skipped, and the
// CPU last run on. Fewer than 11 conversions and the process is skipped.
func bbParseStat(buf []byte) (bbProc, bool) {
	if len(buf) > 1023 { // read_to_buf reads PROCPS_BUFSIZE-1 bytes
		buf = buf[:1023]
	}
	end := bytes.LastIndexByte(buf, ')')
	if end < 0 || end+1 >= len(buf) || buf[end+1] != ' ' {
		return bbProc{}, false
	}
	var p bbProc
	comm := string(buf[bytes.IndexByte(buf[:end], '(')+1 : end])
	p.comm = comm[:min(len(comm), 15)]
	rest := string(buf[end+2:])
	if rest == "" {
		return p, false
	}
	sc := &bbScanf{s: rest[1:]}
	state := rest[:1]
	n := 1
	vals := []*int64{&p.ppid, &p.pgid, &p.sid}
	for _, v := range vals {
		x, ok := sc.num()
		if !ok {
			return p, false
		}
		*v = x
		n++
	}
	tty, ok := sc.num()
	if !ok || !sc.skip(6) {
		return p, false
	}
	n++
	var utime, stime, nice, start, vsz, rss int64
	for _, v := range []*int64{&utime, &stime} {
		if *v, ok = sc.num(); !ok {
			return p, false
		}
		n++
	}
	if !sc.skip(3) {
		return p, false
	}
	if nice, ok = sc.num(); !ok || !sc.skip(2) {
		return p, false
	}
	n++
	for _, v := range []*int64{&start, &vsz, &rss} {
		if *v, ok = sc.num(); !ok {
			return p, false
		}
		n++
	}
	if sc.skip(14) {
		if p.cpu, ok = sc.num(); ok {
			n++
		}
	}
	if n < 11 {
		return p, false
	}
	p.utime, p.stime, p.startTime = uint64(utime), uint64(stime), uint64(start)
	p.vszKB, p.rssKB = uint64(vsz)>>10, uint64(rss)*pageSize>>10
	p.ttyMajor, p.ttyMinor = (tty>>8)&0xfff, (tty&0xff)|((tty>>12)&0xfff00)
	// The three-letter state: W for a task with no memory, < or N by nice.
	s := []byte{state[0], ' ', ' '}
	if p.vszKB == 0 && s[0] != 'Z' {
		s[1] = 'W'
	}
	switch {
	case nice < 0:
		s[2] = '<'
	case nice > 0:
		s[2] = 'N'
	}
	p.state = string(s)
	return p, true
}

// bbCmdline is read_cmdline: trailing NULs dropped, every other control
// byte shown as a space; an empty command line shows "[comm]".
func bbCmdline(data []byte, comm string) string {
	data = bytes.TrimRight(data, "\x00")
	if len(data) == 0 {
		return "[" + comm + "]"
	}
	out := make([]byte, len(data))
	for i, c := range data {
		if c < ' ' {
			c = ' '
		}
		out[i] = c
	}
	return string(out)
}

// bbTopMeminfo is top's parse_meminfo: "Name:" then strtoul of the rest.
func bbTopMeminfo(data []byte) map[string]uint64 {
	fields := []string{"MemTotal", "MemFree", "MemShared", "Shmem", "Buffers", "Cached",
		"SwapTotal", "SwapFree", "Dirty", "Writeback", "AnonPages", "Mapped", "Slab"}
	m := map[string]uint64{}
	for _, line := range strings.Split(string(data), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		for _, f := range fields {
			if f == name {
				v, _ := strconv.ParseUint(strings.Fields(rest)[0], 10, 64)
				m[name] = v
			}
		}
	}
	return m
}

// bbFreeMeminfo is free's parse_meminfo: sscanf "Name: %llu %*s" for the
// three lines sysinfo(2) does not cover.
func bbFreeMeminfo(data []byte) (cached, available, reclaimable uint64) {
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			continue
		}
		switch f[0] {
		case "Cached:":
			cached = v
		case "MemAvailable:":
			available = v
		case "SReclaimable:":
			reclaimable = v
		}
	}
	return
}

// bbCPUJiffy is top's read_cpu_jiffy on the first line of /proc/stat:
// "cp%*s" then up to eight counters; fewer than four is an error.
func bbCPUJiffy(data []byte) ([]uint64, bool) {
	line, _, _ := strings.Cut(string(data), "\n")
	if !strings.HasPrefix(line, "cp") {
		return nil, false
	}
	sc := &bbScanf{s: line}
	sc.skip(1)
	var out []uint64
	for len(out) < 8 {
		v, ok := sc.num()
		if !ok {
			break
		}
		out = append(out, uint64(v))
	}
	return out, len(out) >= 4
}

// TestBusyboxStatOnHostAndRendered parses each host process's stat with
// busybox's rules, renders it with procd from the full parse, and checks
// busybox reads the same from both.
func TestBusyboxStatOnHostAndRendered(t *testing.T) {
	paths, _ := filepath.Glob("/proc/[0-9]*/stat")
	if !needroot.Root() {
		needroot.Record("servers/procd: busybox's parse of other processes' stat")
		paths = []string{"/proc/self/stat"}
	}
	n := 0
	for _, p := range paths {
		host, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		want, ok := bbParseStat(host)
		if !ok {
			t.Fatalf("busybox rules reject the host's %s: %q", p, host)
		}
		full := parseStatFull(t, host)
		if want.ppid != int64(full.Ppid) || want.startTime != full.StartTime || want.vszKB != full.VmSize>>10 ||
			want.rssKB != full.VmRss>>10 || want.utime != full.Utime || want.cpu != int64(full.Cpu) {
			t.Fatalf("busybox's parser and the full parser disagree on %s: %+v", p, want)
		}
		var b bytes.Buffer
		renderStat(&b, full, p == "/proc/self/stat" || os.Geteuid() == 0)
		got, ok := bbParseStat(b.Bytes())
		if !ok || got != want {
			t.Errorf("%s: busybox reads host %+v, procd %+v", p, want, got)
		}
		n++
	}
	t.Logf("busybox's stat parsing agrees on %d processes", n)
}

func TestBusyboxReadsProcd(t *testing.T) {
	f := newFixture(t)
	root := f.as(1, rootCred)
	for _, tc := range []struct {
		pid  string
		want bbProc
		cmd  string
	}{
		{"1", bbProc{comm: "init", state: "S  ", ppid: 0, pgid: 1, sid: 1, utime: 10, stime: 20, startTime: 5,
			vszKB: 1092, rssKB: 600}, "/sbin/init"},
		{"42", bbProc{comm: "my prog (x)", state: "R <", ppid: 1, pgid: 42, sid: 42, ttyMajor: 136, startTime: 900,
			vszKB: 8192, rssKB: 1200}, "my prog -v"},
		{"43", bbProc{comm: "su\\do\nx", state: "S  ", ppid: 42, pgid: 42, sid: 42, vszKB: 4096}, "su"},
	} {
		got, ok := bbParseStat([]byte(root.mustRead(tc.pid + "/stat")))
		if !ok || got != tc.want {
			t.Errorf("busybox reads pid %s as %+v, want %+v", tc.pid, got, tc.want)
		}
		if cmd := bbCmdline([]byte(root.mustRead(tc.pid+"/cmdline")), got.comm); cmd != tc.cmd {
			t.Errorf("busybox shows pid %s as %q, want %q", tc.pid, cmd, tc.cmd)
		}
	}
	top := bbTopMeminfo([]byte(root.mustRead("meminfo")))
	for name, want := range map[string]uint64{"MemTotal": 524288, "MemFree": 409600, "Shmem": 1024,
		"Buffers": 2048, "Cached": 30720, "SwapTotal": 0, "AnonPages": 5120, "Mapped": 8192, "Slab": 5120} {
		if top[name] != want {
			t.Errorf("top reads %s = %d, want %d", name, top[name], want)
		}
	}
	if c, a, r := bbFreeMeminfo([]byte(root.mustRead("meminfo"))); c != 30720 || a != 460800 || r != 3072 {
		t.Errorf("free reads cached %d available %d reclaimable %d", c, a, r)
	}
	j, ok := bbCPUJiffy([]byte(root.mustRead("stat")))
	if want := []uint64{201, 0, 300, 7000, 0, 0, 0, 0}; !ok || !equalU64(j, want) {
		t.Errorf("top reads cpu jiffies %v, want %v", j, want)
	}
}

// TestBusyboxReadsHostSystem checks the top and free parsers accept the
// host's files, so that the tests above test parsers that work.
func TestBusyboxReadsHostSystem(t *testing.T) {
	mem := readHost(t, "/proc/meminfo")
	if m := bbTopMeminfo(mem); m["MemTotal"] == 0 || m["MemFree"] == 0 {
		t.Errorf("top's parser reads the host's meminfo as %v", m)
	}
	if _, a, _ := bbFreeMeminfo(mem); a == 0 {
		t.Errorf("free's parser finds no MemAvailable in the host's meminfo")
	}
	if j, ok := bbCPUJiffy(readHost(t, "/proc/stat")); !ok || j[3] == 0 {
		t.Errorf("top's parser reads the host's cpu line as %v", j)
	}
}

func equalU64(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
