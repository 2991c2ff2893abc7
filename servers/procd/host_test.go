package procd

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"aramid/proto/procpb"
	"aramid/test/needroot"
)

// The tests in this file read the host's own /proc (this machine runs
// Linux), parse each file back into the values procd renders from, render
// them again, and compare bytes. Where a column carries something Aramid
// cannot have (a kernel pointer), both sides are normalised first.

func readHost(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("host has no %s: %v", path, err)
	}
	return b
}

func atou(t *testing.T, s string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return v
}

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return v
}

func hexu(t *testing.T, s string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		t.Fatalf("parse hex %q: %v", s, err)
	}
	return v
}

// parseStatFull parses every field of a /proc/<pid>/stat line.
func parseStatFull(t *testing.T, line []byte) *procpb.ProcessInfo {
	t.Helper()
	open, end := bytes.IndexByte(line, '('), bytes.LastIndexByte(line, ')')
	f := strings.Fields(string(line[end+2:]))
	if len(f) != 50 {
		t.Fatalf("stat has %d fields after comm, want 50: %q", len(f), line)
	}
	u := func(i int) uint64 { return atou(t, f[i-3]) }
	d := func(i int) int64 { return atoi(t, f[i-3]) }
	return &procpb.ProcessInfo{
		Pid: uint32(atou(t, strings.TrimSpace(string(line[:open])))), Comm: line[open+1 : end],
		State: f[0], Ppid: uint32(d(4)), Pgid: uint32(d(5)), Sid: uint32(d(6)), TtyNr: int32(d(7)),
		Tpgid: int32(d(8)), Flags: uint32(u(9)), MinFlt: u(10), CminFlt: u(11), MajFlt: u(12),
		CmajFlt: u(13), Utime: u(14), Stime: u(15), Cutime: d(16), Cstime: d(17), Nice: int32(d(19)),
		Threads: uint32(d(20)), StartTime: u(22), VmSize: u(23), VmRss: u(24) * pageSize,
		RssLimit: u(25), StartCode: u(26), EndCode: u(27), StartStack: u(28),
		SigPending: u(31), SigBlocked: u(32), SigIgnored: u(33), SigCaught: u(34),
		ExitSignal: int32(d(38)), Cpu: int32(d(39)), RtPriority: uint32(u(40)), Policy: uint32(u(41)),
		BlkioTicks: u(42), Gtime: u(43), Cgtime: d(44), StartData: u(45), EndData: u(46),
		StartBrk: u(47), ArgStart: u(48), ArgEnd: u(49), EnvStart: u(50), EnvEnd: u(51),
		ExitCode: int32(d(52)),
	}
}

// TestHostStatRoundTrip renders every host process's stat from the
// values parsed out of it and compares the bytes. As root every process
// is ptrace-readable, so nothing is masked.
func TestHostStatRoundTrip(t *testing.T) {
	paths, _ := filepath.Glob("/proc/[0-9]*/stat")
	if len(paths) == 0 {
		t.Skip("no host /proc")
	}
	if !needroot.Root() {
		// Another user's processes show masked fields, which cannot be
		// parsed back; a process's own stat is never masked.
		needroot.Record("servers/procd: other processes' stat round trip")
		paths = []string{"/proc/self/stat"}
	}
	n := 0
	for _, p := range paths {
		host, err := os.ReadFile(p)
		if err != nil {
			continue // the process exited
		}
		info := parseStatFull(t, host)
		var b bytes.Buffer
		renderStat(&b, info, true)
		if !bytes.Equal(b.Bytes(), host) {
			t.Errorf("%s:\nhost %q\nours %q", p, host, b.Bytes())
		}
		n++
	}
	t.Logf("%d host stat files round-trip byte for byte", n)
}

// parseStatus parses /proc/<pid>/status into the values it is made of.
func parseStatus(t *testing.T, data []byte) (*procpb.ProcessInfo, int) {
	t.Helper()
	p := &procpb.ProcessInfo{}
	ncpu := 1
	kb := func(v string) uint64 { return atou(t, strings.TrimSpace(strings.TrimSuffix(v, " kB"))) << 10 }
	ids := func(v string) []uint32 {
		var r []uint32
		for _, f := range strings.Fields(v) {
			r = append(r, uint32(atou(t, f)))
		}
		return r
	}
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		k, v, _ := strings.Cut(line, ":\t")
		switch k {
		case "Name":
			p.Comm = []byte(strings.NewReplacer(`\n`, "\n", `\\`, `\`).Replace(v))
		case "Umask":
			u, _ := strconv.ParseUint(v, 8, 32)
			p.Umask = uint32(u)
		case "State":
			p.State = v[:1]
		case "Tgid":
			p.Tgid = uint32(atou(t, v))
		case "Pid":
			p.Pid = uint32(atou(t, v))
		case "PPid":
			p.Ppid = uint32(atou(t, v))
		case "TracerPid":
			p.TracerPid = uint32(atou(t, v))
		case "Uid":
			p.Uids = ids(v)
		case "Gid":
			p.Gids = ids(v)
		case "FDSize":
			p.FdSize = uint32(atou(t, v))
		case "Groups":
			p.Groups = ids(v)
		case "NSpgid":
			p.Pgid = uint32(atou(t, v))
		case "NSsid":
			p.Sid = uint32(atou(t, v))
		case "Threads":
			p.Threads = uint32(atou(t, v))
		case "SigQ":
			a, b, _ := strings.Cut(v, "/")
			p.Sigq, p.SigqLimit = atou(t, a), atou(t, b)
		case "NoNewPrivs":
			p.NoNewPrivs = v == "1"
		case "voluntary_ctxt_switches":
			p.VoluntaryCtxtSwitches = atou(t, v)
		case "nonvoluntary_ctxt_switches":
			p.NonvoluntaryCtxtSwitches = atou(t, v)
		case "Cpus_allowed_list":
			if _, hi, ok := strings.Cut(v, "-"); ok && !strings.Contains(v, ",") {
				ncpu = int(atou(t, hi)) + 1
			}
		}
		hexFields := map[string]*uint64{"SigPnd": &p.SigPending, "ShdPnd": &p.SigSharedPending,
			"SigBlk": &p.SigBlocked, "SigIgn": &p.SigIgnored, "SigCgt": &p.SigCaught,
			"CapInh": &p.CapInheritable, "CapPrm": &p.CapPermitted, "CapEff": &p.CapEffective,
			"CapBnd": &p.CapBounding, "CapAmb": &p.CapAmbient}
		if f, ok := hexFields[k]; ok {
			*f = hexu(t, v)
		}
		kbFields := map[string]*uint64{"VmPeak": &p.VmPeak, "VmSize": &p.VmSize, "VmLck": &p.VmLck,
			"VmPin": &p.VmPin, "VmHWM": &p.VmHwm, "VmRSS": &p.VmRss, "RssAnon": &p.RssAnon,
			"RssFile": &p.RssFile, "RssShmem": &p.RssShmem, "VmData": &p.VmData, "VmStk": &p.VmStack,
			"VmExe": &p.VmExe, "VmLib": &p.VmLib, "VmPTE": &p.VmPte, "VmSwap": &p.VmSwap}
		if f, ok := kbFields[k]; ok {
			*f = kb(v)
		}
	}
	return p, ncpu
}

// linux61Status drops from a newer kernel's status the lines 6.1 does
// not have, and the speculation lines, whose values depend on the CPU.
func linux61Status(data []byte) string {
	var keep []string
	for _, line := range strings.SplitAfter(string(data), "\n") {
		k, _, _ := strings.Cut(line, ":")
		switch {
		case k == "Kthread", k == "untag_mask", strings.HasPrefix(k, "x86_"), strings.HasPrefix(k, "Speculation"):
			continue
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, "")
}

func TestHostStatusRoundTrip(t *testing.T) {
	host := readHost(t, "/proc/self/status")
	info, ncpu := parseStatus(t, host)
	var b bytes.Buffer
	renderStatus(&b, info, ncpu)
	if got, want := linux61Status(b.Bytes()), linux61Status(host); got != want {
		t.Errorf("status differs:\nhost:\n%s\nours:\n%s", want, got)
	}
}

func TestHostMapsRoundTrip(t *testing.T) {
	host := readHost(t, "/proc/self/maps")
	var maps []*procpb.MapEntry
	for _, line := range strings.Split(strings.TrimSuffix(string(host), "\n"), "\n") {
		f := strings.Fields(line)
		lo, hi, _ := strings.Cut(f[0], "-")
		maj, min, _ := strings.Cut(f[3], ":")
		m := &procpb.MapEntry{Start: hexu(t, lo), End: hexu(t, hi), Perms: f[1], Offset: hexu(t, f[2]),
			DevMajor: uint32(hexu(t, maj)), DevMinor: uint32(hexu(t, min)), Inode: atou(t, f[4])}
		if len(f) > 5 {
			// The name is everything after the padding.
			m.Path = []byte(strings.TrimLeft(line[strings.Index(line, " "+f[4]+" ")+len(f[4])+2:], " "))
		}
		maps = append(maps, m)
	}
	var b bytes.Buffer
	renderMaps(&b, maps)
	if !bytes.Equal(b.Bytes(), host) {
		t.Errorf("maps differ:\nhost:\n%s\nours:\n%s", host, b.Bytes())
	}
}

// hostAddr turns Linux's %08X words back into network-order bytes.
func hostAddr(t *testing.T, s string) []byte {
	a := make([]byte, len(s)/2)
	for i := 0; i < len(s)/8; i++ {
		binary.LittleEndian.PutUint32(a[4*i:], uint32(hexu(t, s[8*i:8*i+8])))
	}
	return a
}

func hostEndpoint(t *testing.T, s string) ([]byte, uint32) {
	a, p, _ := strings.Cut(s, ":")
	return hostAddr(t, a), uint32(hexu(t, p))
}

// parseInetLine parses one line of /proc/net/{tcp,udp}{,6}.
func parseInetLine(t *testing.T, line string, family uint32, proto procpb.Protocol) *procpb.SocketEntry {
	f := strings.Fields(line)
	e := &procpb.SocketEntry{Family: family, Protocol: proto, State: uint32(hexu(t, f[3]))}
	e.LocalAddr, e.LocalPort = hostEndpoint(t, f[1])
	e.RemoteAddr, e.RemotePort = hostEndpoint(t, f[2])
	tx, rx, _ := strings.Cut(f[4], ":")
	tr, when, _ := strings.Cut(f[5], ":")
	e.TxQueue, e.RxQueue = uint32(hexu(t, tx)), uint32(hexu(t, rx))
	e.Timer, e.TimerExpires = uint32(hexu(t, tr)), hexu(t, when)
	e.Retransmits = uint32(hexu(t, f[6]))
	e.Uid = uint32(atou(t, f[7]))
	e.Timeout = int32(atoi(t, f[8]))
	e.Inode = atou(t, f[9])
	e.Refcount = uint32(atou(t, f[10]))
	if proto != procpb.Protocol_PROTOCOL_TCP {
		e.Drops = uint32(atou(t, f[12]))
		return e
	}
	if len(f) > 12 {
		e.Rto, e.Ato = atou(t, f[12]), atou(t, f[13])
		q := atou(t, f[14])
		e.QuickAck, e.Pingpong = uint32(q>>1), q&1 == 1
		e.Cwnd, e.Ssthresh = uint32(atou(t, f[15])), int32(atoi(t, f[16]))
	}
	return e
}

// normaliseNet replaces the pointer column of each line with zeros and,
// when sl is not 0, the hash-bucket column, sl wide, with the line number.
func normaliseNet(data []byte, ptrCol int, sl int) string {
	lines := strings.SplitAfter(string(data), "\n")
	for i := 1; i < len(lines); i++ {
		l := lines[i]
		if l == "" {
			continue
		}
		f := strings.Fields(l)
		if ptrCol < len(f) && len(f[ptrCol]) == 16 {
			l = strings.Replace(l, " "+f[ptrCol]+" ", " "+nullPointer+" ", 1)
		}
		if sl != 0 {
			colon := strings.IndexByte(l, ':')
			l = fmt.Sprintf("%*d", sl, i-1) + l[colon:]
		}
		lines[i] = l
	}
	return strings.Join(lines, "")
}

// TestHostStatmRoundTrip renders a sleeping process's statm from its
// status and stat and compares with the host's.
func TestHostStatmRoundTrip(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	defer cmd.Process.Kill()
	dir := fmt.Sprintf("/proc/%d/", cmd.Process.Pid)
	// Wait until exec has replaced the forked Go test image.
	for i := 0; i < 100; i++ {
		if comm, _ := os.ReadFile(dir + "comm"); string(comm) == "sleep\n" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	status, stat, statm := readHost(t, dir+"status"), readHost(t, dir+"stat"), readHost(t, dir+"statm")
	info, _ := parseStatus(t, status)
	full := parseStatFull(t, stat)
	info.StartCode, info.EndCode = full.StartCode, full.EndCode
	var b bytes.Buffer
	renderStatm(&b, info)
	if !bytes.Equal(b.Bytes(), statm) {
		t.Errorf("statm: host %q ours %q", statm, b.Bytes())
	}
}

func TestHostFdinfoRoundTrip(t *testing.T) {
	f, err := os.Open("/proc/self/exe")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	f.Seek(7, 0)
	host := readHost(t, fmt.Sprintf("/proc/self/fdinfo/%d", f.Fd()))
	fi := &procpb.FdInfo{}
	for _, line := range strings.Split(strings.TrimSuffix(string(host), "\n"), "\n") {
		k, v, _ := strings.Cut(line, ":\t")
		switch k {
		case "pos":
			fi.Pos = atoi(t, v)
		case "flags":
			fl, _ := strconv.ParseUint(v, 8, 32)
			fi.Flags = uint32(fl)
		case "mnt_id":
			fi.MntId = uint32(atou(t, v))
		case "ino":
			fi.Ino = atou(t, v)
		}
	}
	var b bytes.Buffer
	renderFdinfo(&b, fi)
	if !bytes.Equal(b.Bytes(), host) {
		t.Errorf("fdinfo: host %q ours %q", host, b.Bytes())
	}
}
