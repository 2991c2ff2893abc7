package procd

import (
	"bytes"
	"fmt"
	"strconv"

	"aramid/lib/linux"
	"aramid/proto/procpb"
)

// UTS is the kernel identity that /proc/version and /proc/sys/kernel
// report. Tests vary it; a running procd reports DefaultUTS.
type UTS struct {
	Sysname string // "Linux"
	Release string // kernel/osrelease
	Version string // kernel/version: "#1 SMP ..."
	// Builder is the "(user@host) (compiler)" part of /proc/version.
	Builder string
}

// DefaultUTS is Aramid's one identity (lib/linux), the same that the
// kernel's and linuxd's uname(2) report.
var DefaultUTS = UTS{
	Sysname: linux.Sysname,
	Release: linux.Release,
	Version: linux.Version,
	Builder: "(aramid@aramid) (go1.26)",
}

func renderVersion(b *bytes.Buffer, u UTS) {
	fmt.Fprintf(b, "%s version %s %s %s\n", u.Sysname, u.Release, u.Builder, u.Version)
}

// meminfoLine writes one /proc/meminfo line: the name and colon padded
// to 16 columns, then the value in kB right-aligned in 8.
func meminfoLine(b *bytes.Buffer, name string, kb uint64) {
	fmt.Fprintf(b, "%-16s%8d kB\n", name+":", kb)
}

// meminfoCount writes a HugePages_ line, which counts pages rather than
// kB: name and colon padded to 19 columns, the count right-aligned in 5.
func meminfoCount(b *bytes.Buffer, name string, n uint64) {
	fmt.Fprintf(b, "%-19s%5d\n", name+":", n)
}

// vmallocTotal is what x86-64 with 4-level paging reports for the
// vmalloc area, in kB: its 32 TiB less the guard page's rounding.
const vmallocTotal = 32<<30 - 1

// renderMeminfo writes /proc/meminfo with the lines of Debian's 6.1
// amd64 kernel, in its order. Figures the kernel does not track (no
// swap cache, no huge pages, no zswap) are zero, as on a Linux machine
// that does not use them. CommitLimit follows the overcommit ratio of
// 50%: half of RAM plus swap.
func renderMeminfo(b *bytes.Buffer, m *procpb.SystemInfo) {
	k := func(v uint64) uint64 { return v >> 10 }
	active := m.GetActiveAnon() + m.GetActiveFile()
	inactive := m.GetInactiveAnon() + m.GetInactiveFile()
	slab := m.GetSlabReclaimable() + m.GetSlabUnreclaimable()
	for _, l := range []struct {
		name string
		v    uint64
	}{
		{"MemTotal", k(m.GetMemTotal())}, {"MemFree", k(m.GetMemFree())},
		{"MemAvailable", k(m.GetMemAvailable())}, {"Buffers", k(m.GetBuffers())},
		{"Cached", k(m.GetCached())}, {"SwapCached", 0},
		{"Active", k(active)}, {"Inactive", k(inactive)},
		{"Active(anon)", k(m.GetActiveAnon())}, {"Inactive(anon)", k(m.GetInactiveAnon())},
		{"Active(file)", k(m.GetActiveFile())}, {"Inactive(file)", k(m.GetInactiveFile())},
		{"Unevictable", 0}, {"Mlocked", 0},
		{"SwapTotal", k(m.GetSwapTotal())}, {"SwapFree", k(m.GetSwapFree())},
		{"Zswap", 0}, {"Zswapped", 0},
		{"Dirty", 0}, {"Writeback", 0},
		{"AnonPages", k(m.GetAnonPages())}, {"Mapped", k(m.GetMapped())}, {"Shmem", k(m.GetShmem())},
		{"KReclaimable", k(m.GetSlabReclaimable())}, {"Slab", k(slab)},
		{"SReclaimable", k(m.GetSlabReclaimable())}, {"SUnreclaim", k(m.GetSlabUnreclaimable())},
		{"KernelStack", k(m.GetKernelStack())}, {"PageTables", k(m.GetPageTables())},
		{"NFS_Unstable", 0}, {"Bounce", 0}, {"WritebackTmp", 0},
		{"CommitLimit", k(m.GetMemTotal()/2 + m.GetSwapTotal())}, {"Committed_AS", k(m.GetCommittedAs())},
		{"VmallocTotal", vmallocTotal}, {"VmallocUsed", k(m.GetVmallocUsed())}, {"VmallocChunk", 0},
		{"Percpu", 0},
	} {
		meminfoLine(b, l.name, l.v)
	}
	// This one line has its own format in Linux's meminfo_proc_show.
	fmt.Fprintf(b, "HardwareCorrupted: %5d kB\n", 0)
	for _, l := range []struct {
		name string
		v    uint64
	}{
		{"AnonHugePages", 0}, {"ShmemHugePages", 0}, {"ShmemPmdMapped", 0},
		{"FileHugePages", 0}, {"FilePmdMapped", 0},
	} {
		meminfoLine(b, l.name, l.v)
	}
	for _, name := range []string{"HugePages_Total", "HugePages_Free", "HugePages_Rsvd", "HugePages_Surp"} {
		meminfoCount(b, name, 0)
	}
	meminfoLine(b, "Hugepagesize", 2048)
	meminfoLine(b, "Hugetlb", 0)
	// Aramid maps all RAM with 2 MiB pages except the first 2 MiB.
	low := min(k(m.GetMemTotal()), 2048)
	meminfoLine(b, "DirectMap4k", low)
	meminfoLine(b, "DirectMap2M", k(m.GetMemTotal())-low)
}

// renderCpuinfo writes /proc/cpuinfo as x86's show_cpuinfo does.
func renderCpuinfo(b *bytes.Buffer, cpus []*procpb.CpuInfo) {
	for i, c := range cpus {
		name := c.GetModelName()
		if name == "" {
			name = "unknown"
		}
		fmt.Fprintf(b, "processor\t: %d\nvendor_id\t: %s\ncpu family\t: %d\nmodel\t\t: %d\nmodel name\t: %s\nstepping\t: %d\n",
			i, c.GetVendorId(), c.GetFamily(), c.GetModel(), name, c.GetStepping())
		if c.GetMicrocode() != 0 {
			fmt.Fprintf(b, "microcode\t: 0x%x\n", c.GetMicrocode())
		}
		if khz := c.GetKhz(); khz != 0 {
			fmt.Fprintf(b, "cpu MHz\t\t: %d.%03d\n", khz/1000, khz%1000)
		}
		if c.GetCacheKb() != 0 {
			fmt.Fprintf(b, "cache size\t: %d KB\n", c.GetCacheKb())
		}
		fmt.Fprintf(b, "physical id\t: %d\nsiblings\t: %d\ncore id\t\t: %d\ncpu cores\t: %d\napicid\t\t: %d\ninitial apicid\t: %d\n",
			c.GetPhysicalId(), c.GetSiblings(), c.GetCoreId(), c.GetCpuCores(), c.GetApicid(), c.GetApicid())
		fmt.Fprintf(b, "fpu\t\t: %s\nfpu_exception\t: %s\ncpuid level\t: %d\nwp\t\t: %s\n",
			yes(c.GetFpu()), yes(c.GetFpu()), c.GetCpuidLevel(), yes(c.GetWp()))
		b.WriteString("flags\t\t:")
		for _, f := range c.GetFlags() {
			b.WriteString(" " + f)
		}
		b.WriteString("\nbugs\t\t:")
		for _, f := range c.GetBugs() {
			b.WriteString(" " + f)
		}
		// bogomips is loops_per_jiffy scaled; calibrated from the TSC it
		// is twice the clock in MHz.
		fmt.Fprintf(b, "\nbogomips\t: %d.%02d\n", c.GetKhz()/500, (c.GetKhz()/5)%100)
		if c.GetTlbSize() != 0 {
			fmt.Fprintf(b, "TLB size\t: %d 4K pages\n", c.GetTlbSize())
		}
		fmt.Fprintf(b, "clflush size\t: %d\ncache_alignment\t: %d\naddress sizes\t: %d bits physical, %d bits virtual\npower management:\n\n",
			c.GetClflushSize(), c.GetCacheAlignment(), c.GetPhysBits(), c.GetVirtBits())
	}
}

func yes(v bool) string {
	if v {
		return "yes"
	}
	return "no"
}

// centi formats nanoseconds as seconds with two decimals, truncated.
func centi(ns uint64) string {
	return fmt.Sprintf("%d.%02d", ns/1e9, ns%1e9/1e7)
}

func renderUptime(b *bytes.Buffer, m *procpb.SystemInfo) {
	fmt.Fprintf(b, "%s %s\n", centi(m.GetUptimeNs()), centi(m.GetIdleNs()))
}

// Load averages are fixed point with 11 fraction bits; Linux rounds them
// to two decimals by adding FIXED_1/200 before truncating.
const (
	fshift = 11
	fixed1 = 1 << fshift
)

func renderLoadavg(b *bytes.Buffer, m *procpb.SystemInfo) {
	la := m.GetLoadavg()
	for i := 0; i < 3; i++ {
		var x uint64
		if i < len(la) {
			x = la[i]
		}
		x += fixed1 / 200
		fmt.Fprintf(b, "%d.%02d ", x>>fshift, ((x&(fixed1-1))*100)>>fshift)
	}
	fmt.Fprintf(b, "%d/%d %d\n", m.GetProcsRunning(), m.GetProcsTotal(), m.GetLastPid())
}

// cpuTimes are the ten columns of a /proc/stat cpu line.
const cpuTimes = 10

// renderStat writes /proc/stat: the CPU total and per-CPU times, then
// the interrupt, context-switch, boot, process and softirq counters.
func renderProcStat(b *bytes.Buffer, m *procpb.SystemInfo) {
	var total [cpuTimes]uint64
	for _, c := range m.GetCpus() {
		for i, t := range c.GetTimes() {
			if i < cpuTimes {
				total[i] += t
			}
		}
	}
	cpuLine(b, "cpu ", total[:])
	for i, c := range m.GetCpus() {
		cpuLine(b, "cpu"+strconv.Itoa(i), c.GetTimes())
	}
	countLine(b, "intr", m.GetInterrupts(), m.GetIrqs(), 0)
	fmt.Fprintf(b, "ctxt %d\nbtime %d\nprocesses %d\nprocs_running %d\nprocs_blocked %d\n",
		m.GetContextSwitches(), m.GetBootTime(), m.GetForks(), m.GetProcsRunning(), m.GetProcsBlocked())
	var softirqs uint64
	for _, c := range m.GetSoftirqs() {
		softirqs += c
	}
	// NR_SOFTIRQS is 10.
	countLine(b, "softirq", softirqs, m.GetSoftirqs(), 10)
}

// nsPerTick is NSEC_PER_SEC / USER_HZ.
const nsPerTick = 1e9 / 100

// cpuLine writes one cpu line, converting nanoseconds to clock ticks.
// The total line converts the sums, so it may exceed the sum of the
// per-CPU lines by less than one tick per CPU, as on Linux.
func cpuLine(b *bytes.Buffer, name string, ns []uint64) {
	b.WriteString(name)
	for j := 0; j < cpuTimes; j++ {
		var t uint64
		if j < len(ns) {
			t = ns[j]
		}
		b.WriteString(" " + strconv.FormatUint(t/nsPerTick, 10))
	}
	b.WriteByte('\n')
}

// countLine writes "name total c0 c1 ...", with at least n counts.
func countLine(b *bytes.Buffer, name string, total uint64, counts []uint64, n int) {
	fmt.Fprintf(b, "%s %d", name, total)
	for i := 0; i < max(n, len(counts)); i++ {
		var c uint64
		if i < len(counts) {
			c = counts[i]
		}
		b.WriteString(" " + strconv.FormatUint(c, 10))
	}
	b.WriteByte('\n')
}

// mountEscapes are the bytes /proc/mounts writes as octal escapes.
const mountEscapes = " \t\n\\"

func renderMounts(b *bytes.Buffer, mounts []*procpb.MountEntry) {
	for _, m := range mounts {
		writeEscaped(b, m.GetSource(), mountEscapes)
		b.WriteByte(' ')
		writeEscaped(b, m.GetTarget(), mountEscapes)
		b.WriteByte(' ')
		writeEscaped(b, []byte(m.GetFstype()), mountEscapes)
		b.WriteByte(' ')
		writeEscaped(b, []byte(m.GetOptions()), mountEscapes)
		b.WriteString(" 0 0\n")
	}
}

func renderFilesystems(b *bytes.Buffer, fss []*procpb.FilesystemType) {
	for _, f := range fss {
		if f.GetNodev() {
			b.WriteString("nodev")
		}
		fmt.Fprintf(b, "\t%s\n", f.GetName())
	}
}
