package procd

import (
	"bytes"
	"fmt"
	"strconv"

	"aramid/proto/procpb"
)

// pageSize is the x86-64 page; /proc/<pid>/stat counts rss in pages.
const pageSize = 4096

// hasMM reports whether p has an address space. Linux prints several
// stat fields differently for tasks without one (kernel threads, zombies).
func hasMM(p *procpb.ProcessInfo) bool { return p.GetVmSize() != 0 }

// priority is task_prio(): 20+nice for normal tasks, -1-rt_priority for
// SCHED_FIFO and SCHED_RR, -101 for SCHED_DEADLINE.
func priority(p *procpb.ProcessInfo) int64 {
	switch p.GetPolicy() {
	case 1, 2:
		return -1 - int64(p.GetRtPriority())
	case 6:
		return -101
	}
	return 20 + int64(p.GetNice())
}

// state returns the one-letter state, defaulting to running.
func state(p *procpb.ProcessInfo) byte {
	if s := p.GetState(); s != "" {
		return s[0]
	}
	return 'R'
}

// renderStat writes /proc/<pid>/stat as do_task_stat does. permitted is
// ptrace read access: without it Linux hides the address-space layout.
func renderStat(b *bytes.Buffer, p *procpb.ProcessInfo, permitted bool) {
	mm := hasMM(p)
	u := func(v uint64) { b.WriteByte(' '); b.WriteString(strconv.FormatUint(v, 10)) }
	d := func(v int64) { b.WriteByte(' '); b.WriteString(strconv.FormatInt(v, 10)) }
	// masked is Linux's "permitted ? v : 1" for a task with an mm.
	masked := func(v uint64) uint64 {
		switch {
		case !mm:
			return 0
		case !permitted:
			return 1
		}
		return v
	}
	b.WriteString(strconv.FormatUint(uint64(p.GetPid()), 10))
	b.WriteString(" (")
	b.Write(p.GetComm())
	b.WriteString(") ")
	b.WriteByte(state(p))
	d(int64(p.GetPpid()))
	d(int64(p.GetPgid()))
	d(int64(p.GetSid()))
	d(int64(p.GetTtyNr()))
	d(int64(p.GetTpgid()))
	u(uint64(p.GetFlags()))
	u(p.GetMinFlt())
	u(p.GetCminFlt())
	u(p.GetMajFlt())
	u(p.GetCmajFlt())
	u(p.GetUtime())
	u(p.GetStime())
	d(p.GetCutime())
	d(p.GetCstime())
	d(priority(p))
	d(int64(p.GetNice()))
	d(int64(p.GetThreads()))
	u(0)
	u(p.GetStartTime())
	u(p.GetVmSize())
	u(p.GetVmRss() / pageSize)
	u(p.GetRssLimit())
	u(masked(p.GetStartCode()))
	u(masked(p.GetEndCode()))
	if permitted && mm {
		u(p.GetStartStack())
	} else {
		u(0)
	}
	u(0) // kstkesp: Linux zeroes it, there is no race-free way to read it
	u(0) // kstkeip
	u(p.GetSigPending() & 0x7fffffff)
	u(p.GetSigBlocked() & 0x7fffffff)
	u(p.GetSigIgnored() & 0x7fffffff)
	u(p.GetSigCaught() & 0x7fffffff)
	wchan := uint64(0)
	if permitted && p.GetThreads() < 2 && state(p) != 'R' {
		wchan = 1
	}
	u(wchan)
	u(0)
	u(0)
	d(int64(p.GetExitSignal()))
	d(int64(p.GetCpu()))
	u(uint64(p.GetRtPriority()))
	u(uint64(p.GetPolicy()))
	u(p.GetBlkioTicks())
	u(p.GetGtime())
	d(p.GetCgtime())
	if mm && permitted {
		for _, v := range []uint64{p.GetStartData(), p.GetEndData(), p.GetStartBrk(),
			p.GetArgStart(), p.GetArgEnd(), p.GetEnvStart(), p.GetEnvEnd()} {
			u(v)
		}
	} else {
		b.WriteString(" 0 0 0 0 0 0 0")
	}
	if permitted {
		d(int64(p.GetExitCode()))
	} else {
		b.WriteString(" 0")
	}
	b.WriteByte('\n')
}

// taskStates are the names /proc/<pid>/status gives each state letter.
var taskStates = map[byte]string{
	'R': "R (running)",
	'S': "S (sleeping)",
	'D': "D (disk sleep)",
	'T': "T (stopped)",
	't': "t (tracing stop)",
	'X': "X (dead)",
	'Z': "Z (zombie)",
	'P': "P (parked)",
	'I': "I (idle)",
}

// escapeComm escapes a name as status's Name line does: only newline and
// backslash, so that the line stays one line.
func escapeComm(b *bytes.Buffer, comm []byte) {
	for _, c := range comm {
		switch c {
		case '\n':
			b.WriteString(`\n`)
		case '\\':
			b.WriteString(`\\`)
		default:
			b.WriteByte(c)
		}
	}
}

// four returns the four ids of a Uid or Gid line, padding a short list
// with its last value (a source that sends one id means all four).
func four(ids []uint32) [4]uint32 {
	var r [4]uint32
	for i := range r {
		switch {
		case i < len(ids):
			r[i] = ids[i]
		case len(ids) > 0:
			r[i] = ids[len(ids)-1]
		}
	}
	return r
}

// kB writes a status memory line: the value in kB right-aligned in 8.
func kB(b *bytes.Buffer, name string, bytes uint64) {
	fmt.Fprintf(b, "%s:\t%8d kB\n", name, bytes>>10)
}

// renderStatus writes /proc/<pid>/status in Linux 6.1's layout (before
// the Kthread and untag_mask lines of later kernels). ncpu sizes the
// Cpus_allowed mask.
func renderStatus(b *bytes.Buffer, p *procpb.ProcessInfo, ncpu int) {
	b.WriteString("Name:\t")
	escapeComm(b, p.GetComm())
	fmt.Fprintf(b, "\nUmask:\t%04o\n", p.GetUmask())
	st, ok := taskStates[state(p)]
	if !ok {
		st = taskStates['R']
	}
	fmt.Fprintf(b, "State:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t%d\n",
		st, p.GetTgid(), p.GetPid(), p.GetPpid(), p.GetTracerPid())
	u, g := four(p.GetUids()), four(p.GetGids())
	fmt.Fprintf(b, "Uid:\t%d\t%d\t%d\t%d\nGid:\t%d\t%d\t%d\t%d\nFDSize:\t%d\nGroups:\t",
		u[0], u[1], u[2], u[3], g[0], g[1], g[2], g[3], p.GetFdSize())
	for i, grp := range p.GetGroups() {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatUint(uint64(grp), 10))
	}
	fmt.Fprintf(b, " \nNStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n",
		p.GetTgid(), p.GetPid(), p.GetPgid(), p.GetSid())
	if hasMM(p) {
		for _, l := range []struct {
			name string
			v    uint64
		}{
			{"VmPeak", p.GetVmPeak()}, {"VmSize", p.GetVmSize()}, {"VmLck", p.GetVmLck()},
			{"VmPin", p.GetVmPin()}, {"VmHWM", p.GetVmHwm()}, {"VmRSS", p.GetVmRss()},
			{"RssAnon", p.GetRssAnon()}, {"RssFile", p.GetRssFile()}, {"RssShmem", p.GetRssShmem()},
			{"VmData", p.GetVmData()}, {"VmStk", p.GetVmStack()}, {"VmExe", p.GetVmExe()},
			{"VmLib", p.GetVmLib()}, {"VmPTE", p.GetVmPte()}, {"VmSwap", p.GetVmSwap()},
			{"HugetlbPages", 0},
		} {
			kB(b, l.name, l.v)
		}
		b.WriteString("CoreDumping:\t0\nTHP_enabled:\t1\n")
	}
	fmt.Fprintf(b, "Threads:\t%d\nSigQ:\t%d/%d\n", p.GetThreads(), p.GetSigq(), p.GetSigqLimit())
	for _, l := range []struct {
		name string
		v    uint64
	}{
		{"SigPnd", p.GetSigPending()}, {"ShdPnd", p.GetSigSharedPending()}, {"SigBlk", p.GetSigBlocked()},
		{"SigIgn", p.GetSigIgnored()}, {"SigCgt", p.GetSigCaught()},
		{"CapInh", p.GetCapInheritable()}, {"CapPrm", p.GetCapPermitted()}, {"CapEff", p.GetCapEffective()},
		{"CapBnd", p.GetCapBounding()}, {"CapAmb", p.GetCapAmbient()},
	} {
		fmt.Fprintf(b, "%s:\t%016x\n", l.name, l.v)
	}
	nnp := 0
	if p.GetNoNewPrivs() {
		nnp = 1
	}
	// Aramid applies no speculation controls per task, so it reports the
	// state Linux reports on a CPU that needs none.
	fmt.Fprintf(b, "NoNewPrivs:\t%d\nSeccomp:\t0\nSeccomp_filters:\t0\n"+
		"Speculation_Store_Bypass:\tnot vulnerable\nSpeculationIndirectBranch:\tnot affected\n", nnp)
	fmt.Fprintf(b, "Cpus_allowed:\t%s\nCpus_allowed_list:\t%s\n", cpuMask(ncpu), cpuList(ncpu))
	fmt.Fprintf(b, "Mems_allowed:\t%s\nMems_allowed_list:\t0\n", nodeMask())
	fmt.Fprintf(b, "voluntary_ctxt_switches:\t%d\nnonvoluntary_ctxt_switches:\t%d\n",
		p.GetVoluntaryCtxtSwitches(), p.GetNonvoluntaryCtxtSwitches())
}

// cpuMask is the %*pb bitmap of CPUs 0..n-1: hex, in comma-separated
// groups of 32 bits, the top group without leading zeros padding beyond
// its bit count.
func cpuMask(n int) string {
	if n < 1 {
		n = 1
	}
	return bitmapHex(n, n)
}

// bitmapHex formats a bitmap of nbits bits whose low set bits are the
// first `set` ones, as Linux's bitmap_print_to_pagebuf does.
func bitmapHex(nbits, set int) string {
	var groups []string
	for lo := 0; lo < nbits; lo += 32 {
		width := min(32, nbits-lo)
		var w uint32
		for i := 0; i < width; i++ {
			if lo+i < set {
				w |= 1 << i
			}
		}
		groups = append(groups, fmt.Sprintf("%0*x", (width+3)/4, w))
	}
	var b bytes.Buffer
	for i := len(groups) - 1; i >= 0; i-- {
		b.WriteString(groups[i])
		if i > 0 {
			b.WriteByte(',')
		}
	}
	return b.String()
}

func cpuList(n int) string {
	if n <= 1 {
		return "0"
	}
	return "0-" + strconv.Itoa(n-1)
}

// maxNumNodes is MAX_NUMNODES of Debian's amd64 kernel (NODES_SHIFT 10);
// Mems_allowed prints a bitmap of that many nodes.
const maxNumNodes = 1024

func nodeMask() string { return bitmapHex(maxNumNodes, 1) }

// renderNulList writes cmdline or environ: each string followed by NUL.
func renderNulList(b *bytes.Buffer, list [][]byte) {
	for _, s := range list {
		b.Write(s)
		b.WriteByte(0)
	}
}

// mapsWidth is the column where show_map_vma pads the name to: 25 plus
// six pointer widths, minus one.
const mapsWidth = 25 + 8*6 - 1

// renderMaps writes /proc/<pid>/maps as show_map_vma does.
func renderMaps(b *bytes.Buffer, maps []*procpb.MapEntry) {
	for _, m := range maps {
		start := b.Len()
		perms := (m.GetPerms() + "----")[:4]
		fmt.Fprintf(b, "%08x-%08x %s %08x %02x:%02x %d ", m.GetStart(), m.GetEnd(), perms,
			m.GetOffset(), m.GetDevMajor(), m.GetDevMinor(), m.GetInode())
		if path := m.GetPath(); len(path) > 0 {
			if pad := mapsWidth - (b.Len() - start); pad > 0 {
				b.Write(bytes.Repeat([]byte{' '}, pad))
			}
			b.WriteByte(' ')
			writeEscaped(b, path, "\n")
		}
		b.WriteByte('\n')
	}
}

// writeEscaped writes s with the bytes of esc replaced by a backslash and
// three octal digits, as Linux's mangle_path does.
func writeEscaped(b *bytes.Buffer, s []byte, esc string) {
	for _, c := range s {
		if bytes.IndexByte([]byte(esc), c) >= 0 {
			fmt.Fprintf(b, "\\%03o", c)
			continue
		}
		b.WriteByte(c)
	}
}

// renderStatm writes /proc/<pid>/statm as proc_pid_statm does, in pages:
// size, resident (file, shmem and anonymous), shared (file and shmem),
// text, 0, data (data and stack), 0.
func renderStatm(b *bytes.Buffer, p *procpb.ProcessInfo) {
	pages := func(v uint64) uint64 { return v / pageSize }
	shared := pages(p.GetRssFile()) + pages(p.GetRssShmem())
	var text uint64
	if end := (p.GetEndCode() + pageSize - 1) &^ (pageSize - 1); hasMM(p) && end > p.GetStartCode() {
		text = (end - p.GetStartCode()&^(pageSize-1)) / pageSize
	}
	fmt.Fprintf(b, "%d %d %d %d 0 %d 0\n", pages(p.GetVmSize()), shared+pages(p.GetRssAnon()), shared, text,
		pages(p.GetVmData())+pages(p.GetVmStack()))
}

// renderFdinfo writes /proc/<pid>/fdinfo/<fd> for a plain file.
func renderFdinfo(b *bytes.Buffer, f *procpb.FdInfo) {
	fmt.Fprintf(b, "pos:\t%d\nflags:\t0%o\nmnt_id:\t%d\nino:\t%d\n", f.GetPos(), f.GetFlags(), f.GetMntId(), f.GetIno())
}
