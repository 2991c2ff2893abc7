package procd

import (
	"strings"

	"aramid/proto/procpb"
)

// The known data the golden tests render, and the files Linux 6.1
// produces from the same data.

func testProcesses() []*procpb.ProcessInfo {
	const kb = 1024
	return []*procpb.ProcessInfo{{
		Pid: 1, Tgid: 1, Ppid: 0, Pgid: 1, Sid: 1, Comm: []byte("init"), State: "S",
		TtyNr: 0, Tpgid: -1, Flags: 4194560, MinFlt: 1500, CminFlt: 3000, MajFlt: 12, CmajFlt: 40,
		Utime: 10, Stime: 20, Cutime: 30, Cstime: 40, Nice: 0, Threads: 1, StartTime: 5,
		VmPeak: 1200 * kb, VmSize: 1092 * kb, VmHwm: 600 * kb, VmRss: 600 * kb, RssAnon: 100 * kb, RssFile: 500 * kb,
		VmData: 200 * kb, VmStack: 132 * kb, VmExe: 700 * kb, VmPte: 44 * kb,
		RssLimit: 18446744073709551615, StartCode: 4194304, EndCode: 4911105, StartStack: 140736560356112,
		SigIgnored: 1 << 12, SigCaught: 1 << 16, ExitSignal: 17,
		StartData: 4927488, EndData: 4935712, StartBrk: 5242880,
		ArgStart: 140736560359000, ArgEnd: 140736560359011, EnvStart: 140736560359011, EnvEnd: 140736560359029,
		Uids: []uint32{0, 0, 0, 0}, Gids: []uint32{0, 0, 0, 0}, Umask: 0o22, FdSize: 64,
		Sigq: 0, SigqLimit: 7823, CapPermitted: 1<<41 - 1, CapEffective: 1<<41 - 1, CapBounding: 1<<41 - 1,
		VoluntaryCtxtSwitches: 55, NonvoluntaryCtxtSwitches: 7,
		Cmdline: [][]byte{[]byte("/sbin/init")}, Environ: [][]byte{[]byte("HOME=/"), []byte("TERM=linux")},
		Cwd: []byte("/"), Root: []byte("/"), Exe: []byte("/sbin/init"),
		Fds: []*procpb.FdInfo{
			{Fd: 0, Target: []byte("/dev/console"), Flags: 2},
			{Fd: 1, Target: []byte("/dev/console"), Flags: 2},
			{Fd: 2, Target: []byte("/dev/console"), Flags: 1},
			{Fd: 3, Target: []byte("socket:[1234]"), Flags: 2},
		},
		Maps: []*procpb.MapEntry{
			{Start: 0x400000, End: 0x4af000, Perms: "r-xp", DevMajor: 8, DevMinor: 1, Inode: 1311, Path: []byte("/sbin/init")},
			{Start: 0x4af000, End: 0x4b1000, Perms: "rw-p", Offset: 0xaf000, DevMajor: 8, DevMinor: 1, Inode: 1311, Path: []byte("/sbin/init")},
			{Start: 0x500000, End: 0x521000, Perms: "rw-p", Path: []byte("[heap]")},
			{Start: 0x7f0000000000, End: 0x7f0000002000, Perms: "rw-p"},
			{Start: 0x7ffc0000f000, End: 0x7ffc00030000, Perms: "rw-p", Path: []byte("[stack]")},
		},
	}, {
		Pid: 42, Tgid: 42, Ppid: 1, Pgid: 42, Sid: 42, Comm: []byte("my prog (x)"), State: "R",
		TtyNr: 34816, Tpgid: 42, Nice: -5, Threads: 2, StartTime: 900, VmSize: 8 << 20, VmRss: 300 * 4096,
		Uids: []uint32{1000, 1000, 1000, 1000}, Gids: []uint32{1000, 1000, 1000, 1000}, Groups: []uint32{1000, 27},
		Cmdline: [][]byte{[]byte("my prog"), []byte("-v"), []byte("")}, Environ: [][]byte{[]byte("USER=me")},
		Cwd: []byte("/home/me"), Root: []byte("/"), Exe: []byte("/usr/bin/my prog"),
		Fds:   []*procpb.FdInfo{{Fd: 0, Target: []byte("pipe:[77]")}},
		Umask: 0o2, CapBounding: 1<<41 - 1,
	}, {
		// A set-user-ID program run by user 1000: undumpable.
		Pid: 43, Tgid: 43, Ppid: 42, Pgid: 42, Sid: 42, Comm: []byte("su\\do\nx"), State: "S",
		Threads: 1, VmSize: 4 << 20, Undumpable: true,
		Uids: []uint32{1000, 0, 0, 0}, Gids: []uint32{1000, 1000, 1000, 1000},
		Cmdline: [][]byte{[]byte("su")}, Exe: []byte("/bin/su"), Cwd: []byte("/home/me"), Root: []byte("/"),
	}}
}

// Expected files, as Linux 6.1 prints them from the data above.
const (
	wantStat1 = "1 (init) S 0 1 1 0 -1 4194560 1500 3000 12 40 10 20 30 40 20 0 1 0 5 1118208 150 " +
		"18446744073709551615 4194304 4911105 140736560356112 0 0 0 0 4096 65536 1 0 0 17 0 0 0 0 0 0 " +
		"4927488 4935712 5242880 140736560359000 140736560359011 140736560359011 140736560359029 0\n"
	// As another user sees it: layout hidden, wchan hidden.
	wantStat1Masked = "1 (init) S 0 1 1 0 -1 4194560 1500 3000 12 40 10 20 30 40 20 0 1 0 5 1118208 150 " +
		"18446744073709551615 1 1 0 0 0 0 0 4096 65536 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
	wantStat42 = "42 (my prog (x)) R 1 42 42 34816 42 0 0 0 0 0 0 0 0 0 15 -5 2 0 900 8388608 300 " +
		"0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
)

// padTo pads s with spaces to w columns, as seq_pad does.
func padTo(s string, w int) string { return s + strings.Repeat(" ", w-len(s)) }

// maps lines put the name in column 73.
var wantMaps1 = padTo("00400000-004af000 r-xp 00000000 08:01 1311 ", 73) + "/sbin/init\n" +
	padTo("004af000-004b1000 rw-p 000af000 08:01 1311 ", 73) + "/sbin/init\n" +
	padTo("00500000-00521000 rw-p 00000000 00:00 0 ", 73) + "[heap]\n" +
	"7f0000000000-7f0000002000 rw-p 00000000 00:00 0 \n" +
	padTo("7ffc0000f000-7ffc00030000 rw-p 00000000 00:00 0 ", 73) + "[stack]\n"

func wantStatus1() string {
	mems := strings.Repeat("00000000,", 31) + "00000001"
	return "Name:\tinit\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t1\nNgid:\t0\nPid:\t1\nPPid:\t0\nTracerPid:\t0\n" +
		"Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t64\nGroups:\t \nNStgid:\t1\nNSpid:\t1\nNSpgid:\t1\nNSsid:\t1\n" +
		"VmPeak:\t    1200 kB\nVmSize:\t    1092 kB\nVmLck:\t       0 kB\nVmPin:\t       0 kB\nVmHWM:\t     600 kB\n" +
		"VmRSS:\t     600 kB\nRssAnon:\t     100 kB\nRssFile:\t     500 kB\nRssShmem:\t       0 kB\n" +
		"VmData:\t     200 kB\nVmStk:\t     132 kB\nVmExe:\t     700 kB\nVmLib:\t       0 kB\nVmPTE:\t      44 kB\n" +
		"VmSwap:\t       0 kB\nHugetlbPages:\t       0 kB\nCoreDumping:\t0\nTHP_enabled:\t1\n" +
		"Threads:\t1\nSigQ:\t0/7823\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\n" +
		"SigBlk:\t0000000000000000\nSigIgn:\t0000000000001000\nSigCgt:\t0000000000010000\n" +
		"CapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\n" +
		"CapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n" +
		"Speculation_Store_Bypass:\tnot vulnerable\nSpeculationIndirectBranch:\tnot affected\n" +
		"Cpus_allowed:\t3\nCpus_allowed_list:\t0-1\nMems_allowed:\t" + mems + "\nMems_allowed_list:\t0\n" +
		"voluntary_ctxt_switches:\t55\nnonvoluntary_ctxt_switches:\t7\n"
}

func ip4(a, b, c, d byte) []byte { return []byte{a, b, c, d} }

func testSockets() *procpb.ListSocketsReply {
	tcp, udp := procpb.Protocol_PROTOCOL_TCP, procpb.Protocol_PROTOCOL_UDP
	loop6 := make([]byte, 16)
	loop6[15] = 1
	return &procpb.ListSocketsReply{
		Sockets: []*procpb.SocketEntry{
			{Family: 4, Protocol: tcp, LocalAddr: ip4(0, 0, 0, 0), LocalPort: 80, RemoteAddr: ip4(0, 0, 0, 0),
				State: 10, RxQueue: 3, Uid: 0, Inode: 5001, Refcount: 1, Rto: 100, Cwnd: 10, Ssthresh: 0},
			{Family: 4, Protocol: tcp, LocalAddr: ip4(10, 0, 2, 15), LocalPort: 80, RemoteAddr: ip4(10, 0, 2, 2),
				RemotePort: 51234, State: 1, TxQueue: 0x10, Timer: 2, TimerExpires: 7199, Uid: 33, Inode: 5002,
				Refcount: 2, Rto: 20, Ato: 4, QuickAck: 5, Pingpong: true, Cwnd: 10, Ssthresh: -1},
			{Family: 4, Protocol: tcp, LocalAddr: ip4(127, 0, 0, 1), LocalPort: 8080, RemoteAddr: ip4(127, 0, 0, 1),
				RemotePort: 40000, State: 6, TimerExpires: 5999, Refcount: 3},
			{Family: 4, Protocol: tcp, LocalAddr: ip4(127, 0, 0, 1), LocalPort: 8080, RemoteAddr: ip4(127, 0, 0, 1),
				RemotePort: 40002, State: 3, TimerExpires: 100, Retransmits: 1, Uid: 1000},
			{Family: 6, Protocol: tcp, LocalAddr: loop6, LocalPort: 443, RemoteAddr: make([]byte, 16), State: 10,
				Uid: 0, Inode: 5003, Refcount: 1, Rto: 100, Cwnd: 10},
			{Family: 4, Protocol: udp, LocalAddr: ip4(0, 0, 0, 0), LocalPort: 68, RemoteAddr: ip4(0, 0, 0, 0),
				State: 7, RxQueue: 0x240, Inode: 6001, Refcount: 2, Drops: 3},
			{Family: 4, Protocol: procpb.Protocol_PROTOCOL_RAW, LocalAddr: ip4(0, 0, 0, 0), LocalPort: 1,
				RemoteAddr: ip4(0, 0, 0, 0), State: 7, Inode: 8001, Refcount: 2},
			{Family: 6, Protocol: udp, LocalAddr: loop6, LocalPort: 53, RemoteAddr: loop6, RemotePort: 5353,
				State: 1, TxQueue: 0x80, Uid: 100, Inode: 6002, Refcount: 2},
		},
		UnixSockets: []*procpb.UnixSocketEntry{
			{Refcount: 2, Flags: 0x10000, Type: 1, State: 1, Inode: 7001, Path: []byte("/run/sock")},
			{Refcount: 3, Type: 1, State: 3, Inode: 7002},
			{Refcount: 2, Type: 2, State: 1, Inode: 123456, Path: []byte("\x00abs\x00name")},
		},
	}
}

const (
	wantRaw = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n" +
		"   0: 00000000:0001 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 8001 2 0000000000000000 0\n"
	wantTCP6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
		"   0: 00000000000000000000000001000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5003 1 0000000000000000 100 0 0 10 0\n"
	wantUDP6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n" +
		"    0: 00000000000000000000000001000000:0035 00000000000000000000000001000000:14E9 01 00000080:00000000 00:00000000 00000000   100        0 6002 2 0000000000000000 0\n"
	wantUnix = "Num       RefCount Protocol Flags    Type St Inode Path\n" +
		"0000000000000000: 00000002 00000000 00010000 0001 01  7001 /run/sock\n" +
		"0000000000000000: 00000003 00000000 00000000 0001 03  7002\n" +
		"0000000000000000: 00000002 00000000 00000000 0002 01 123456 @abs@name\n"
)

var (
	wantTCP = padTo("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode", 149) + "\n" +
		padTo("   0: 00000000:0050 00000000:0000 0A 00000000:00000003 00:00000000 00000000     0        0 5001 1 0000000000000000 100 0 0 10 0", 149) + "\n" +
		padTo("   1: 0F02000A:0050 0202000A:C822 01 00000010:00000000 02:00001C1F 00000000    33        0 5002 2 0000000000000000 20 4 11 10 -1", 149) + "\n" +
		padTo("   2: 0100007F:1F90 0100007F:9C40 06 00000000:00000000 03:0000176F 00000000     0        0 0 3 0000000000000000", 149) + "\n" +
		padTo("   3: 0100007F:1F90 0100007F:9C42 03 00000000:00000000 01:00000064 00000001  1000        0 0 0 0000000000000000", 149) + "\n"
	wantUDP = padTo("   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops", 127) + "\n" +
		padTo("    0: 00000000:0044 00000000:0000 07 00000000:00000240 00:00000000 00000000     0        0 6001 2 0000000000000000 3", 127) + "\n"
)

func testSystem() *procpb.SystemInfo {
	const mb = 1 << 20
	cpu := func(i uint32, times ...uint64) *procpb.CpuInfo {
		return &procpb.CpuInfo{VendorId: "GenuineIntel", Family: 6, Model: 6, ModelName: "QEMU Virtual CPU version 2.5+",
			Stepping: 3, Microcode: 1, Khz: 2400000, CacheKb: 16384, Siblings: 2, CoreId: i, CpuCores: 2, Apicid: i,
			CpuidLevel: 13, Fpu: true, Wp: true, Flags: []string{"fpu", "de", "pse", "tsc"}, Bugs: []string{"spectre_v1"},
			ClflushSize: 64, CacheAlignment: 64, PhysBits: 40, VirtBits: 48, Times: times}
	}
	return &procpb.SystemInfo{
		MemTotal: 512 * mb, MemFree: 400 * mb, MemAvailable: 450 * mb, Buffers: 2 * mb, Cached: 30 * mb,
		ActiveAnon: 4 * mb, InactiveAnon: 1 * mb, ActiveFile: 10 * mb, InactiveFile: 20 * mb,
		AnonPages: 5 * mb, Mapped: 8 * mb, Shmem: 1 * mb, SlabReclaimable: 3 * mb, SlabUnreclaimable: 2 * mb,
		KernelStack: 512 << 10, PageTables: 256 << 10, CommittedAs: 20 * mb, VmallocUsed: 4 * mb,
		Cmdline:  []byte("console=ttyS0 root=/dev/vda"),
		UptimeNs: 1234567890123, IdleNs: 2000999999999,
		Loadavg:      []uint64{1 << 11, 1 << 10, 0},
		ProcsRunning: 1, ProcsTotal: 53, LastPid: 1234, BootTime: 1700000000, ContextSwitches: 98765,
		Forks: 1300, ProcsBlocked: 0, Interrupts: 5000, Irqs: []uint64{100, 0, 200},
		Softirqs: []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
		Cpus: []*procpb.CpuInfo{
			cpu(0, 1_005_000_000, 0, 2_009_999_999, 30e9, 0, 0, 0, 0, 0, 0),
			cpu(1, 1_009_000_000, 0, 1e9, 40e9, 0, 0, 0, 0, 0, 0),
		},
	}
}

const (
	wantUptime  = "1234.56 2000.99\n"
	wantLoadavg = "1.00 0.50 0.00 1/53 1234\n"
	wantStat    = "cpu  201 0 300 7000 0 0 0 0 0 0\n" +
		"cpu0 100 0 200 3000 0 0 0 0 0 0\n" +
		"cpu1 100 0 100 4000 0 0 0 0 0 0\n" +
		"intr 5000 100 0 200\n" +
		"ctxt 98765\nbtime 1700000000\nprocesses 1300\nprocs_running 1\nprocs_blocked 0\n" +
		"softirq 55 1 2 3 4 5 6 7 8 9 10\n"
	wantMeminfo = "MemTotal:         524288 kB\nMemFree:          409600 kB\nMemAvailable:     460800 kB\n" +
		"Buffers:            2048 kB\nCached:            30720 kB\nSwapCached:            0 kB\n" +
		"Active:            14336 kB\nInactive:          21504 kB\nActive(anon):       4096 kB\n" +
		"Inactive(anon):     1024 kB\nActive(file):      10240 kB\nInactive(file):    20480 kB\n" +
		"Unevictable:           0 kB\nMlocked:               0 kB\nSwapTotal:             0 kB\n" +
		"SwapFree:              0 kB\nZswap:                 0 kB\nZswapped:              0 kB\n" +
		"Dirty:                 0 kB\nWriteback:             0 kB\nAnonPages:          5120 kB\n" +
		"Mapped:             8192 kB\nShmem:              1024 kB\nKReclaimable:       3072 kB\n" +
		"Slab:               5120 kB\nSReclaimable:       3072 kB\nSUnreclaim:         2048 kB\n" +
		"KernelStack:         512 kB\nPageTables:          256 kB\nNFS_Unstable:          0 kB\n" +
		"Bounce:                0 kB\nWritebackTmp:          0 kB\nCommitLimit:      262144 kB\n" +
		"Committed_AS:      20480 kB\nVmallocTotal:   34359738367 kB\nVmallocUsed:        4096 kB\n" +
		"VmallocChunk:          0 kB\nPercpu:                0 kB\nHardwareCorrupted:     0 kB\n" +
		"AnonHugePages:         0 kB\nShmemHugePages:        0 kB\nShmemPmdMapped:        0 kB\n" +
		"FileHugePages:         0 kB\nFilePmdMapped:         0 kB\nHugePages_Total:       0\n" +
		"HugePages_Free:        0\nHugePages_Rsvd:        0\nHugePages_Surp:        0\n" +
		"Hugepagesize:       2048 kB\nHugetlb:               0 kB\nDirectMap4k:        2048 kB\n" +
		"DirectMap2M:      522240 kB\n"
	wantCpuinfo0 = "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 6\n" +
		"model name\t: QEMU Virtual CPU version 2.5+\nstepping\t: 3\nmicrocode\t: 0x1\ncpu MHz\t\t: 2400.000\n" +
		"cache size\t: 16384 KB\nphysical id\t: 0\nsiblings\t: 2\ncore id\t\t: 0\ncpu cores\t: 2\n" +
		"apicid\t\t: 0\ninitial apicid\t: 0\nfpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: 13\n" +
		"wp\t\t: yes\nflags\t\t: fpu de pse tsc\nbugs\t\t: spectre_v1\nbogomips\t: 4800.00\n" +
		"clflush size\t: 64\ncache_alignment\t: 64\naddress sizes\t: 40 bits physical, 48 bits virtual\n" +
		"power management:\n\n"
)

func testMounts() *procpb.ListMountsReply {
	return &procpb.ListMountsReply{
		Mounts: []*procpb.MountEntry{
			{Source: []byte("/dev/vda"), Target: []byte("/"), Fstype: "ext4", Options: "rw,relatime"},
			{Source: []byte("proc"), Target: []byte("/proc"), Fstype: "proc", Options: "rw,nosuid,nodev,noexec,relatime"},
			{Source: []byte("tmpfs"), Target: []byte("/tmp/a dir\\x"), Fstype: "tmpfs", Options: "rw"},
		},
		Filesystems: []*procpb.FilesystemType{{Name: "proc", Nodev: true}, {Name: "tmpfs", Nodev: true}, {Name: "ext4"}},
	}
}

const (
	wantMounts = "/dev/vda / ext4 rw,relatime 0 0\n" +
		"proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n" +
		"tmpfs /tmp/a\\040dir\\134x tmpfs rw 0 0\n"
	wantFilesystems = "nodev\tproc\nnodev\ttmpfs\n\text4\n"
	wantVersion     = "Linux version 6.1.0-aramid (aramid@aramid) (go1.26) #1 SMP PREEMPT_DYNAMIC Aramid\n"
)
