package main

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
)

// A Workload is one comparison: the same operation measured on Aramid and
// on Linux, each side printing BENCH lines under its own name.
type Workload struct {
	Key   string // what -w and make bench BENCH= select, and the BENCH name= of the report
	Title string // what the report's table prints
	Goal  Goal   // the ratio Aramid/Linux to reach
	Ops   int    // operations per run on both sides, unless -n says otherwise

	// AramidAppend is the Aramid kernel command line that runs the
	// workload; AramidName is the BENCH name the kernel or its processes
	// print. Workloads that share a command line share a boot. Both are
	// empty for a workload that runs under linuxd.
	AramidAppend string
	AramidName   string

	// Linuxd workloads run linuxbench on Aramid too, as a Linux process
	// under linuxd, with the same arguments as on Linux: the same static
	// binary measures both sides.
	Linuxd bool

	// LinuxArgs are linuxbench's arguments before n and runs; LinuxName is
	// the BENCH name linuxbench prints.
	LinuxArgs []string
	LinuxName string

	// Device is the device a Linuxd workload measures, with the same QEMU
	// devices on both sides: diskDevice (a file on the root disk, which the
	// reference mounts and runs linuxbench in) or netDevice (a TCP
	// connection through a hostfwd, fed by the harness's sender). Its
	// operation is one MiB moved, and the report gives MiB/s. httpDevice
	// workloads are nginx's, which the host measures (nginx.go).
	Device string

	// Unit is what the report gives, when not the default of unit.
	Unit string

	// Absolute workloads have no Linux side: the goal bounds Aramid's
	// own figure (idle-memory), not a ratio.
	Absolute bool

	// CPUs is the machine's CPU count on both sides (QEMU's -smp; 0 is
	// one), with aramid.smp on Aramid's. A Linuxd workload on more than
	// one CPU measures across CPUs: linuxd runs on CPU 1 (init's @cpu1)
	// and linuxbench on CPU 0 (busybox's taskset, on both sides). An
	// nginx workload places nothing: each kernel places its own threads.
	CPUs int
}

// The devices a workload can measure.
const (
	diskDevice = "disk"
	netDevice  = "net"
	httpDevice = "http"
	// shellDevice workloads boot to a shell, as make qemu does; the
	// host measures them (shell.go).
	shellDevice = "shell"
)

// The device workloads' guest side: the file that mk/bench.mk puts on the
// benchmark's root image, and the port linuxbench listens on for tcp-in,
// which each boot forwards from a free port of the host.
const (
	readFile = "/test/disk-read.bin"
	tcpPort  = 5201
)

// Goal is a bound on the ratio Aramid/Linux: "<=" 1.5 means Aramid takes
// at most 1.5 times Linux's time.
type Goal struct {
	Op    string // "<=" or ">="
	Value float64
}

func (g Goal) String() string { return g.Op + strconv.FormatFloat(g.Value, 'g', -1, 64) }

// Met reports whether ratio meets the goal.
func (g Goal) Met(ratio float64) bool {
	if g.Op == ">=" {
		return ratio >= g.Value
	}
	return ratio <= g.Value
}

// MarshalText writes a goal as it prints, "<=15".
func (g Goal) MarshalText() ([]byte, error) { return []byte(g.String()), nil }

// The goals and why they are what they are: docs/bench.md.
var Workloads = []Workload{
	{
		Key:          "ipc",
		Title:        "IPC round trip",
		Goal:         Goal{"<=", 0.5},
		Ops:          20000,
		AramidAppend: "aramid.bench=ipc aramid.exit",
		AramidName:   "ipc-roundtrip",
		LinuxArgs:    []string{"pipe"},
		LinuxName:    "pipe-roundtrip",
	},
	{
		Key:          "getpid",
		Title:        "getpid system call",
		Goal:         Goal{"<=", 1.5},
		Ops:          20000,
		AramidAppend: "aramid.bench=ipc aramid.exit",
		AramidName:   "getpid",
		LinuxArgs:    []string{"getpid"},
		LinuxName:    "getpid",
	},
	{
		Key:       "getppid-forwarded",
		Title:     "getppid, forwarded",
		Goal:      Goal{"<=", 15},
		Ops:       20000,
		Linuxd:    true,
		LinuxArgs: []string{"getppid"},
		LinuxName: "getppid",
	},
	{
		Key:       "getppid-xcpu",
		Title:     "getppid, forwarded across CPUs",
		Goal:      Goal{"<=", 2},
		Ops:       20000,
		Linuxd:    true,
		LinuxArgs: []string{"getppid"},
		LinuxName: "getppid",
		CPUs:      2,
	},
	{
		Key:          "ipc-xcpu",
		Title:        "IPC round trip across CPUs",
		Goal:         Goal{"<=", 1},
		Ops:          20000,
		AramidAppend: "aramid.bench=ipc-xcpu aramid.smp aramid.exit",
		AramidName:   "ipc-roundtrip",
		LinuxArgs:    []string{"pipe"},
		LinuxName:    "pipe-roundtrip",
		CPUs:         2,
	},
	{
		Key:       "fork-exit-wait",
		Title:     "fork+exit+wait",
		Goal:      Goal{"<=", 1.5},
		Ops:       500,
		Linuxd:    true,
		LinuxArgs: []string{"fork"},
		LinuxName: "fork-exit-wait",
	},
	{
		Key:       "open-close",
		Title:     "open+close",
		Goal:      Goal{"<=", 2.5},
		Ops:       2000,
		Linuxd:    true,
		LinuxArgs: []string{"open"},
		LinuxName: "open-close",
	},
	{
		Key:       "pipe-pingpong",
		Title:     "pipe round trip, Linux processes",
		Goal:      Goal{"<=", 1},
		Ops:       1000,
		Linuxd:    true,
		LinuxArgs: []string{"pipe"},
		LinuxName: "pipe-roundtrip",
	},
	{
		Key:       "disk-read",
		Title:     "sequential read, ext4 on virtio-blk",
		Goal:      Goal{">=", 0.8},
		Ops:       64,
		Linuxd:    true,
		LinuxArgs: []string{"read", readFile},
		LinuxName: "disk-read",
		Device:    diskDevice,
	},
	{
		Key:       "tcp-in",
		Title:     "TCP from the host, virtio-net",
		Goal:      Goal{">=", 0.8},
		Ops:       64,
		Linuxd:    true,
		LinuxArgs: []string{"tcp-in", strconv.Itoa(tcpPort)},
		LinuxName: "tcp-in",
		Device:    netDevice,
	},
	{
		Key:       nginxRPS,
		Title:     "nginx, wrk from the host",
		Goal:      Goal{">=", 0.9},
		Ops:       10, // seconds of wrk
		Linuxd:    true,
		LinuxName: nginxRPS,
		Device:    httpDevice,
		Unit:      reqPerSec,
	},
	{
		Key:       nginxRPSSMP2,
		Title:     "nginx at -smp 2, wrk from the host",
		Goal:      Goal{">=", 0.9},
		Ops:       10, // seconds of wrk
		Linuxd:    true,
		LinuxName: nginxRPS,
		Device:    httpDevice,
		Unit:      reqPerSec,
		CPUs:      2,
	},
	{
		Key:       nginxBoot,
		Title:     "boot to nginx's first 200",
		Goal:      Goal{"<=", 0.5},
		Ops:       1,
		Linuxd:    true,
		LinuxName: nginxBoot,
		Device:    httpDevice,
		Unit:      seconds,
	},
	{
		Key:       bootShell,
		Title:     "boot to a shell prompt",
		Goal:      Goal{"<=", 0.5},
		Ops:       1,
		Linuxd:    true,
		LinuxName: bootShell,
		Device:    shellDevice,
		Unit:      seconds,
	},
	{
		Key:        idleMemory,
		Title:      "memory in use, idle at the shell",
		Goal:       Goal{"<=", 64},
		Ops:        1,
		Linuxd:     true,
		AramidName: idleMemory,
		Device:     shellDevice,
		Unit:       mib,
		Absolute:   true,
	},
}

// Units of the report: time per operation, or throughput for device
// workloads, whose operation is one MiB.
const (
	nsPerOp   = "ns/op"
	mibPerSec = "MiB/s"
	reqPerSec = "req/s"
	seconds   = "s"
	mib       = "MiB" // of memory; the figure as printed is bytes
)

// unit is what the report states w's figures in.
func (w Workload) unit() string {
	switch {
	case w.Unit != "":
		return w.Unit
	case w.Device != "":
		return mibPerSec
	}
	return nsPerOp
}

// inUnit converts a BENCH figure, ns per operation, to unit.
func inUnit(unit string, ns float64) float64 {
	switch unit {
	case mibPerSec, reqPerSec:
		return 1e9 / ns
	case seconds:
		return ns / 1e9
	case mib:
		return ns / (1 << 20)
	}
	return ns
}

// cpus is w's CPU count.
func (w Workload) cpus() int { return max(w.CPUs, 1) }

// across reports whether w is a linuxd workload across CPUs.
func (w Workload) across() bool { return w.Linuxd && w.cpus() > 1 }

// The cross-CPU layout of a linuxd workload: linuxbench runs under
// taskset with this mask (CPU 0), linuxd on acrossCPU.
const (
	acrossMask = "1"
	acrossCPU  = "@cpu1"
	// tasksetPath is busybox's taskset in Aramid's root image; the
	// reference's initramfs has it in /bin.
	tasksetPath = "/usr/bin/taskset"
)

// linuxKey is the key of the reference's results for command cmd on a
// machine of cpus CPUs: the same command on another CPU count is another
// measurement.
func linuxKey(cpus int, cmd string) string {
	if cpus > 1 {
		return fmt.Sprintf("-smp %d: %s", cpus, cmd)
	}
	return cmd
}

// warmup is the operations of the untimed warm-up before each run of a
// streaming workload (read, tcp-in), as linuxbench computes it: n/10
// rounded up, so at least one.
func warmup(n int) int { return (n + 9) / 10 }

// Where linuxbench is on both sides: ROOT_BINS puts it in the Aramid root
// image's /test, and writeInitramfs in the same place on Linux, so that the
// open workload opens the same path on both.
const benchPath = "/test/linuxbench"

// A sizing is how much each run measures.
type sizing struct {
	n    int // operations per run; 0: each workload's Ops
	runs int // runs per boot
}

// ops is the operations per run of w.
func (s sizing) ops(w Workload) int {
	if s.n == 0 {
		return w.Ops
	}
	return s.n
}

// args are linuxbench's arguments for w.
func (s sizing) args(w Workload) []string {
	return append(append([]string{}, w.LinuxArgs...), strconv.Itoa(s.ops(w)), strconv.Itoa(s.runs))
}

// sends are the MiB of each connection that the harness makes to tcp-in's
// linuxbench: a warm-up and a run, runs times.
func (s sizing) sends(w Workload) []int {
	var mib []int
	for range s.runs {
		mib = append(mib, warmup(s.ops(w)), s.ops(w))
	}
	return mib
}

// linuxCmd is the reference's command that measures w.
func (s sizing) linuxCmd(w Workload) string {
	switch w.Device {
	case httpDevice:
		return "chroot " + diskMount + " /bin/sh " + nginxScript
	case shellDevice:
		return shellCmd
	}
	cmd := benchPath + " " + strings.Join(s.args(w), " ")
	if w.across() {
		cmd = "taskset " + acrossMask + " " + cmd
	}
	return cmd
}

// aramid is the Aramid kernel command line that measures w and the BENCH
// name that boot prints. system is the command line of the Linux system
// (make's LINUX_APPEND), which a linuxd workload extends with linuxd
// running linuxbench as init's main task, whose status is the boot's.
func (s sizing) aramid(w Workload, system string) (cmdline, name string) {
	switch {
	case !w.Linuxd:
		return w.AramidAppend, w.AramidName
	case w.Device == httpDevice && w.cpus() > 1:
		return fmt.Sprintf("%s aramid.smp linuxd,/bin/sh,%s!!", system, nginxScript), w.LinuxName
	case w.Device == httpDevice:
		return fmt.Sprintf("%s linuxd,/bin/sh,%s!!", system, nginxScript), w.LinuxName
	case w.Device == shellDevice:
		return system + " linuxd,/bin/sh!!", cmp.Or(w.AramidName, w.LinuxName)
	}
	if w.across() {
		return fmt.Sprintf("%s aramid.smp linuxd,%s,%s,%s,%s%s!!", system, tasksetPath, acrossMask, benchPath,
			strings.Join(s.args(w), ","), acrossCPU), w.LinuxName
	}
	return fmt.Sprintf("%s linuxd,%s,%s!!", system, benchPath, strings.Join(s.args(w), ",")), w.LinuxName
}

// devices reports which devices ws measure.
func devices(ws []Workload) (disk, net bool) {
	for _, w := range ws {
		disk = disk || w.Device == diskDevice
		net = net || w.Device == netDevice
	}
	return disk, net
}

// selectWorkloads returns the workloads named in a comma-separated list of
// keys, or all of them for "all".
func selectWorkloads(list string) ([]Workload, error) {
	if list == "all" {
		return Workloads, nil
	}
	var ws []Workload
	for _, k := range strings.Split(list, ",") {
		found := false
		for _, w := range Workloads {
			if w.Key == k {
				ws, found = append(ws, w), true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown workload %q (have %s)", k, keys())
		}
	}
	return ws, nil
}

func keys() string {
	var ks []string
	for _, w := range Workloads {
		ks = append(ks, w.Key)
	}
	return strings.Join(ks, ", ")
}

// aramidBoots is the distinct Aramid command lines of ws, in order.
func (s sizing) aramidBoots(ws []Workload, system string) []string {
	var cmdlines []string
	seen := map[string]bool{}
	for _, w := range ws {
		if cmdline, _ := s.aramid(w, system); !seen[cmdline] {
			seen[cmdline] = true
			cmdlines = append(cmdlines, cmdline)
		}
	}
	return cmdlines
}
