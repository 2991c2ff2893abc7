package procd

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"aramid/proto/procpb"
)

// TestHostMeminfoLines renders each host meminfo line from its name and
// value with procd's line formats.
func TestHostMeminfoLines(t *testing.T) {
	host := readHost(t, "/proc/meminfo")
	for _, line := range strings.SplitAfter(strings.TrimSuffix(string(host), "\n"), "\n") {
		name, rest, _ := strings.Cut(line, ":")
		f := strings.Fields(rest)
		v := atou(t, f[0])
		var b bytes.Buffer
		switch {
		case name == "HardwareCorrupted":
			continue // not configured on every host; its format is tested below
		case len(f) == 1:
			meminfoCount(&b, name, v)
		default:
			meminfoLine(&b, name, v)
		}
		if got := strings.TrimSuffix(b.String(), "\n"); got != strings.TrimSuffix(line, "\n") {
			t.Errorf("host %q\nours %q", line, got)
		}
	}
}

func splitCPUBlocks(data string) []string {
	return strings.Split(strings.TrimSuffix(data, "\n\n"), "\n\n")
}

// parseCpuinfo parses one /proc/cpuinfo block.
func parseCpuinfo(t *testing.T, block string) *procpb.CpuInfo {
	c := &procpb.CpuInfo{}
	for _, line := range strings.Split(block, "\n") {
		k, v, _ := strings.Cut(line, ":")
		k, v = strings.TrimRight(k, "\t "), strings.TrimPrefix(v, " ")
		n := func() uint32 { return uint32(atou(t, v)) }
		switch k {
		case "vendor_id":
			c.VendorId = v
		case "cpu family":
			c.Family = n()
		case "model":
			c.Model = n()
		case "model name":
			c.ModelName = v
		case "stepping":
			c.Stepping = n()
		case "microcode":
			c.Microcode = uint32(hexu(t, strings.TrimPrefix(v, "0x")))
		case "cpu MHz":
			mhz, frac, _ := strings.Cut(v, ".")
			c.Khz = atou(t, mhz)*1000 + atou(t, frac)
		case "cache size":
			c.CacheKb = uint32(atou(t, strings.TrimSuffix(v, " KB")))
		case "physical id":
			c.PhysicalId = n()
		case "siblings":
			c.Siblings = n()
		case "core id":
			c.CoreId = n()
		case "cpu cores":
			c.CpuCores = n()
		case "apicid":
			c.Apicid = n()
		case "cpuid level":
			c.CpuidLevel = n()
		case "fpu":
			c.Fpu = v == "yes"
		case "wp":
			c.Wp = v == "yes"
		case "flags":
			c.Flags = strings.Split(v, " ")
		case "bugs":
			c.Bugs = strings.Split(v, " ")
		case "TLB size":
			c.TlbSize = uint32(atou(t, strings.TrimSuffix(v, " 4K pages")))
		case "clflush size":
			c.ClflushSize = n()
		case "cache_alignment":
			c.CacheAlignment = n()
		case "address sizes":
			var phys, virt uint32
			for i, f := range strings.Fields(v) {
				switch i {
				case 0:
					phys = uint32(atou(t, f))
				case 3:
					virt = uint32(atou(t, f))
				}
			}
			c.PhysBits, c.VirtBits = phys, virt
		}
	}
	return c
}

func TestHostCpuinfoRoundTrip(t *testing.T) {
	host := string(readHost(t, "/proc/cpuinfo"))
	if !strings.Contains(host, "vendor_id") {
		t.Skip("not an x86 host")
	}
	var cpus []*procpb.CpuInfo
	for _, block := range splitCPUBlocks(host) {
		if strings.Contains(block, "power management: ") {
			t.Skip("host reports power management features, which procd does not model")
		}
		cpus = append(cpus, parseCpuinfo(t, block))
	}
	var b bytes.Buffer
	renderCpuinfo(&b, cpus)
	if b.String() != host {
		t.Errorf("cpuinfo differs:\nhost:\n%s\nours:\n%s", host, b.String())
	}
}

// hostTicksToNs inverts the tick conversion of a /proc/stat cpu block:
// it picks per-CPU nanoseconds whose per-CPU and summed conversions give
// exactly the host's ticks.
func hostTicksToNs(total []uint64, per [][]uint64) [][]uint64 {
	out := make([][]uint64, len(per))
	for i := range per {
		out[i] = make([]uint64, len(per[i]))
		for j, v := range per[i] {
			out[i][j] = v * nsPerTick
		}
	}
	for j := range total {
		var sum uint64
		for i := range per {
			sum += per[i][j]
		}
		for k := 0; k <= int(total[j]-sum) && k < len(per); k++ {
			out[k][j] += nsPerTick - 1
		}
	}
	return out
}

func fieldsU(t *testing.T, s string) []uint64 {
	var r []uint64
	for _, f := range strings.Fields(s) {
		r = append(r, atou(t, f))
	}
	return r
}

func TestHostProcStatRoundTrip(t *testing.T) {
	host := string(readHost(t, "/proc/stat"))
	m := &procpb.SystemInfo{}
	var total []uint64
	var per [][]uint64
	for _, line := range strings.Split(strings.TrimSuffix(host, "\n"), "\n") {
		k, v, _ := strings.Cut(line, " ")
		switch {
		case k == "cpu":
			total = fieldsU(t, v)
		case strings.HasPrefix(k, "cpu"):
			per = append(per, fieldsU(t, v))
		case k == "intr":
			m.Interrupts, m.Irqs = fieldsU(t, v)[0], fieldsU(t, v)[1:]
		case k == "softirq":
			m.Softirqs = fieldsU(t, v)[1:]
		case k == "ctxt":
			m.ContextSwitches = atou(t, v)
		case k == "btime":
			m.BootTime = atou(t, v)
		case k == "processes":
			m.Forks = atou(t, v)
		case k == "procs_running":
			m.ProcsRunning = uint32(atou(t, v))
		case k == "procs_blocked":
			m.ProcsBlocked = uint32(atou(t, v))
		}
	}
	for _, ns := range hostTicksToNs(total, per) {
		m.Cpus = append(m.Cpus, &procpb.CpuInfo{Times: ns})
	}
	var b bytes.Buffer
	renderProcStat(&b, m)
	if b.String() != host {
		t.Errorf("/proc/stat differs:\nhost:\n%s\nours:\n%s", host, b.String())
	}
}

func TestHostUptimeRoundTrip(t *testing.T) {
	host := string(readHost(t, "/proc/uptime"))
	f := strings.Fields(host)
	ns := func(s string) uint64 {
		sec, cs, _ := strings.Cut(s, ".")
		return atou(t, sec)*1e9 + atou(t, cs)*1e7 + 9999999 // truncation hides sub-centisecond time
	}
	var b bytes.Buffer
	renderUptime(&b, &procpb.SystemInfo{UptimeNs: ns(f[0]), IdleNs: ns(f[1])})
	if b.String() != host {
		t.Errorf("uptime: host %q ours %q", host, b.String())
	}
}

// loadFixed finds the fixed-point load that Linux prints as s.
func loadFixed(t *testing.T, s string) uint64 {
	whole, frac, _ := strings.Cut(s, ".")
	y := atou(t, whole)<<fshift + (atou(t, frac)*fixed1+99)/100
	return y - fixed1/200
}

func TestHostLoadavgRoundTrip(t *testing.T) {
	host := string(readHost(t, "/proc/loadavg"))
	f := strings.Fields(host)
	run, total, _ := strings.Cut(f[3], "/")
	m := &procpb.SystemInfo{
		Loadavg:      []uint64{loadFixed(t, f[0]), loadFixed(t, f[1]), loadFixed(t, f[2])},
		ProcsRunning: uint32(atou(t, run)), ProcsTotal: uint32(atou(t, total)), LastPid: uint32(atou(t, f[4])),
	}
	var b bytes.Buffer
	renderLoadavg(&b, m)
	if b.String() != host {
		t.Errorf("loadavg: host %q ours %q", host, b.String())
	}
}

// unescapeOctal undoes the \ooo escapes of /proc/mounts.
func unescapeOctal(s string) []byte {
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b = append(b, byte(v))
				i += 3
				continue
			}
		}
		b = append(b, s[i])
	}
	return b
}

func TestHostMountsRoundTrip(t *testing.T) {
	host := string(readHost(t, "/proc/self/mounts"))
	var ms []*procpb.MountEntry
	for _, line := range strings.Split(strings.TrimSuffix(host, "\n"), "\n") {
		f := strings.Fields(line)
		ms = append(ms, &procpb.MountEntry{Source: unescapeOctal(f[0]), Target: unescapeOctal(f[1]),
			Fstype: string(unescapeOctal(f[2])), Options: string(unescapeOctal(f[3]))})
	}
	var b bytes.Buffer
	renderMounts(&b, ms)
	if b.String() != host {
		t.Errorf("mounts differ:\nhost:\n%s\nours:\n%s", host, b.String())
	}
}

func TestHostFilesystemsRoundTrip(t *testing.T) {
	host := string(readHost(t, "/proc/filesystems"))
	var fss []*procpb.FilesystemType
	for _, line := range strings.Split(strings.TrimSuffix(host, "\n"), "\n") {
		nodev, name, _ := strings.Cut(line, "\t")
		fss = append(fss, &procpb.FilesystemType{Name: name, Nodev: nodev == "nodev"})
	}
	var b bytes.Buffer
	renderFilesystems(&b, fss)
	if b.String() != host {
		t.Errorf("filesystems differ:\nhost:\n%s\nours:\n%s", host, b.String())
	}
}
