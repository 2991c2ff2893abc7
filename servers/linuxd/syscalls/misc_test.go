package syscalls

import (
	"syscall"
	"testing"
	"time"

	"aramid/lib/abi"
	"aramid/servers/linuxd/task"
	"aramid/servers/linuxd/task/tasktest"
	"aramid/servers/linuxd/usermem"
)

// TestBrk: brk(2) rounds the break's mapping to pages, unmaps on
// shrinking, and answers the current break (not an error) when asked for
// one below the start or more than 1 GiB above it.
func TestBrk(t *testing.T) {
	f := newFixture(t)
	const start = 0x100000
	f.p.BrkStart, f.p.Brk = start, start
	m := f.p.Proc
	for _, c := range []struct {
		name string
		arg  uint64
		want int64
	}{
		{"query", 0, start},
		{"below the start", start - 1, start},
		{"more than 1 GiB", start + 1<<30 + 1, start},
		{"grow", start + 5000, start + 5000},
	} {
		if got := f.result(1, nr("brk"), c.arg); got != c.want {
			t.Errorf("brk %s = %#x, want %#x", c.name, got, c.want)
		}
	}
	if err := m.WriteAt([]byte{1}, start+2*pageSize-1); err != nil {
		t.Errorf("the break's last page is not mapped: %v", err)
	}
	if err := m.WriteAt([]byte{1}, start+2*pageSize); err == nil {
		t.Error("a page past the break is mapped")
	}
	if got := f.result(1, nr("brk"), start+100); got != start+100 {
		t.Fatalf("shrink = %#x", got)
	}
	if err := m.WriteAt([]byte{1}, start+pageSize); err == nil {
		t.Error("shrinking kept the second page")
	}
	if err := m.WriteAt([]byte{1}, start+pageSize-1); err != nil {
		t.Errorf("shrinking unmapped the page the break is in: %v", err)
	}
	if got := f.result(1, nr("brk"), start+pageSize); got != start+pageSize {
		t.Fatalf("brk to a page boundary = %#x", got)
	}
	if err := m.WriteAt([]byte{1}, start+pageSize); err == nil {
		t.Error("brk to a page boundary mapped the page after it")
	}
	if got := f.result(1, nr("brk"), start); got != start {
		t.Fatalf("brk back to the start = %#x", got)
	}
	if err := m.WriteAt([]byte{1}, start); err == nil {
		t.Error("brk back to the start kept the first page")
	}
}

// TestBrkLimits: the break may go to exactly 1 GiB above its start; and
// shrinking it unmaps the break's own pages only, not a mapping above
// them.
func TestBrkLimits(t *testing.T) {
	f := newFixture(t)
	const start = 0x100000
	f.p.BrkStart, f.p.Brk = start, start+1<<30-100
	f.step("brk", start+1<<30, start+1<<30)
	f.p.Brk = start
	f.step("brk", start+3*pageSize, start+3*pageSize)
	m := f.p.Proc.(*tasktest.Proc)
	m.Map(start+3*pageSize, pageSize)
	f.step("brk", start+pageSize, start+pageSize)
	if err := m.WriteAt([]byte{1}, start+2*pageSize); err == nil {
		t.Error("shrinking kept the break's last page")
	}
	if err := m.WriteAt([]byte{1}, start+3*pageSize); err != nil {
		t.Errorf("shrinking the break unmapped the page above it: %v", err)
	}
}

// TestMmapErrors: mmap of length 0 or an unaligned offset is EINVAL, of a
// free descriptor EBADF, of a pipe ENODEV.
func TestMmapErrors(t *testing.T) {
	f := newFixture(t)
	f.result(1, nr("pipe"), scratch)
	rfd, _ := usermem.U32(f.p.Proc, scratch)
	for _, c := range []struct {
		name string
		args []uint64
		want int64
	}{
		{"length 0", []uint64{0, 0, 1, 2, uint64(rfd), 0}, errno(syscall.EINVAL)},
		{"offset 100", []uint64{0, 4096, 1, 2, uint64(rfd), 100}, errno(syscall.EINVAL)},
		{"free fd", []uint64{0, 4096, 1, 2, 9, 0}, errno(syscall.EBADF)},
		{"pipe", []uint64{0, 4096, 1, 2, uint64(rfd), 0}, errno(syscall.ENODEV)},
	} {
		if got := f.result(1, nr("mmap"), c.args...); got != c.want {
			t.Errorf("mmap %s = %d, want %d", c.name, got, c.want)
		}
	}
}

func putTS(f *fixture, at uint64, sec, nsec int64) {
	usermem.Write(f.p.Proc, at, [2]int64{sec, nsec})
}

// TestSleepErrors: a timespec with a negative field or tv_nsec of 10^9 is
// EINVAL; clock ids above 7 too; a sleep of nothing, or until a time
// already past, returns 0.
func TestSleepErrors(t *testing.T) {
	f := newFixture(t)
	for _, ts := range [][2]int64{{-1, 0}, {0, -1}, {0, 1e9}} {
		putTS(f, scratch, ts[0], ts[1])
		if got := f.result(1, nr("nanosleep"), scratch, 0); got != errno(syscall.EINVAL) {
			t.Errorf("nanosleep(%v) = %d, want EINVAL", ts, got)
		}
		if got := f.result(1, nr("clock_nanosleep"), 1, 0, scratch, 0); got != errno(syscall.EINVAL) {
			t.Errorf("clock_nanosleep(%v) = %d, want EINVAL", ts, got)
		}
	}
	putTS(f, scratch, 0, 0)
	if got := f.result(1, nr("nanosleep"), scratch, 0); got != 0 {
		t.Errorf("nanosleep(0) = %d", got)
	}
	if got := f.result(1, nr("nanosleep"), 0x1000, 0); got != errno(syscall.EFAULT) {
		t.Errorf("nanosleep(bad pointer) = %d", got)
	}
	if got := f.result(1, nr("clock_nanosleep"), 8, 0, scratch, 0); got != errno(syscall.EINVAL) {
		t.Errorf("clock 8 = %d, want EINVAL", got)
	}
	putTS(f, scratch, 1, 0) // one second after the epoch / after boot: long past
	for _, clock := range []uint64{0, 1, 7} {
		if got := f.result(1, nr("clock_nanosleep"), clock, 1, scratch, 0); got != 0 {
			t.Errorf("clock_nanosleep(%d, TIMER_ABSTIME, past) = %d", clock, got)
		}
	}
}

// TestSleepLasts: nanosleep of 30 ms in tv_nsec returns 0 once that
// much time has passed, not before; clock_nanosleep with TIMER_ABSTIME
// on CLOCK_MONOTONIC, once that clock reads the time given.
func TestSleepLasts(t *testing.T) {
	f := newFixture(t)
	putTS(f, scratch, 0, 30e6)
	start := time.Now()
	if got := f.result(1, nr("nanosleep"), scratch, 0); got != 0 || time.Since(start) < 30*time.Millisecond {
		t.Errorf("nanosleep(30 ms) = %d after %v", got, time.Since(start))
	}
	until := monotonic() + 30*time.Millisecond
	putTS(f, scratch, int64(until/time.Second), int64(until%time.Second))
	if got := f.result(1, nr("clock_nanosleep"), 1, 1, scratch, 0); got != 0 || monotonic() < until {
		t.Errorf("clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, in 30 ms) = %d, %v early", got, until-monotonic())
	}
}

// TestAlarmLeft: alarm returns the seconds the previous alarm had left,
// rounded to the nearest second, and never 0 for one still pending.
func TestAlarmLeft(t *testing.T) {
	f := newFixture(t)
	f.step("alarm", 0, 100)
	f.step("alarm", 100, 0) // 99.99 s left
	for _, c := range []struct {
		usec int64
		want int64
	}{{5200000, 5}, {100000, 1}} {
		usermem.Write(f.p.Proc, scratch, [4]int64{0, 0, c.usec / 1e6, c.usec % 1e6})
		f.step("setitimer", 0, 0, scratch, 0)
		f.step("alarm", c.want, 0)
	}
}

// TestSleepInterrupted: a sleep with a signal waiting ends at once with
// EINTR and writes the time left to rem (not for TIMER_ABSTIME); tv_sec
// beyond what a Duration holds is capped at 2^62 ns.
func TestSleepInterrupted(t *testing.T) {
	f := newFixture(t)
	m := f.p.Proc
	usermem.Write(m, scratch, task.SigAction{Handler: 0x400100})
	f.result(1, nr("rt_sigaction"), task.SIGINT, scratch, 0, 8)
	rem := uint64(scratch + 64)
	for _, c := range []struct {
		name    string
		nr      uint64
		args    []uint64
		sec     int64
		wantRem int64 // tv_sec of rem, -1: untouched
	}{
		{"nanosleep", nr("nanosleep"), []uint64{scratch, rem}, 1000, 999},
		{"nanosleep, huge", nr("nanosleep"), []uint64{scratch, rem}, 1 << 62, (1 << 62) / int64(time.Second)},
		{"clock_nanosleep", nr("clock_nanosleep"), []uint64{1, 0, scratch, rem}, 1000, 999},
		{"clock_nanosleep, absolute", nr("clock_nanosleep"), []uint64{0, 1, scratch, rem}, time.Now().Unix() + 1000, -1},
	} {
		putTS(f, scratch, c.sec, 0)
		usermem.Write(m, rem, [2]int64{-1, -1})
		f.p.Threads[1].Post(task.SIGINT, task.SigInfo{})
		r := f.call(1, c.nr, c.args...)
		if r.Action != abi.ReplyRegs {
			t.Fatalf("%s: reply %+v, want the handler", c.name, r)
		}
		if rax, _ := usermem.U64(m, r.Regs.RDX+40+8*13); int64(rax) != errno(syscall.EINTR) {
			t.Errorf("%s returned %d, want EINTR", c.name, int64(rax))
		}
		var got [2]int64
		usermem.Read(m, rem, &got)
		switch {
		case c.wantRem < 0 && got != [2]int64{-1, -1}:
			t.Errorf("%s wrote rem %v", c.name, got)
		case c.wantRem >= 0 && (got[0] < c.wantRem || got[0] > c.wantRem+1 || got[1] < 0 || got[1] >= 1e9):
			t.Errorf("%s: rem %v, want about %d s", c.name, got, c.wantRem)
		}
		f.p.Threads[1].Mask = 0
	}
}

// TestTimeCalls: time(2) agrees with the clock and stores through its
// pointer; clock_getres reports 1 ns for clock ids 0..11.
func TestTimeCalls(t *testing.T) {
	f := newFixture(t)
	before := time.Now().Unix()
	got := f.result(1, nr("time"), scratch)
	after := time.Now().Unix()
	stored, _ := usermem.U64(f.p.Proc, scratch)
	if got < before || got > after || int64(stored) != got {
		t.Errorf("time = %d (stored %d), want between %d and %d", got, stored, before, after)
	}
	if got := f.result(1, nr("time"), 0); got < before {
		t.Errorf("time(NULL) = %d", got)
	}
	if got := f.result(1, nr("time"), 0x1000); got != errno(syscall.EFAULT) {
		t.Errorf("time(bad pointer) = %d", got)
	}
	if got := f.result(1, nr("clock_getres"), 12, scratch); got != errno(syscall.EINVAL) {
		t.Errorf("clock_getres(12) = %d", got)
	}
	if got := f.result(1, nr("clock_getres"), 11, 0); got != 0 {
		t.Errorf("clock_getres(11, NULL) = %d", got)
	}
	putTS(f, scratch, 7, 7)
	if got := f.result(1, nr("clock_getres"), 1, scratch); got != 0 {
		t.Fatal(got)
	}
	var ts [2]int64
	usermem.Read(f.p.Proc, scratch, &ts)
	if ts != [2]int64{0, 1} {
		t.Errorf("resolution %v, want 1 ns", ts)
	}
}

// TestItimer: ITIMER_REAL only; timevals with a negative field or
// tv_usec of 10^6 are EINVAL; the old value and interval come back.
func TestItimer(t *testing.T) {
	f := newFixture(t)
	m := f.p.Proc
	set := func(iv, val [2]int64, old uint64) int64 {
		usermem.Write(m, scratch, [4]int64{iv[0], iv[1], val[0], val[1]})
		return f.result(1, nr("setitimer"), 0, scratch, old)
	}
	for _, v := range [][4]int64{{0, 0, -1, 0}, {0, 0, 0, -1}, {0, 0, 0, 1e6}, {-1, 0, 1, 0}, {0, 1e6, 1, 0}} {
		if got := set([2]int64{v[0], v[1]}, [2]int64{v[2], v[3]}, 0); got != errno(syscall.EINVAL) {
			t.Errorf("setitimer(%v) = %d, want EINVAL", v, got)
		}
	}
	if got := f.result(1, nr("setitimer"), 1, scratch, 0); got != errno(syscall.EINVAL) {
		t.Errorf("ITIMER_VIRTUAL = %d", got)
	}
	if got := f.result(1, nr("getitimer"), 2, scratch); got != errno(syscall.EINVAL) {
		t.Errorf("getitimer(ITIMER_PROF) = %d", got)
	}
	if got := set([2]int64{2, 500000}, [2]int64{1000, 999999}, 0); got != 0 {
		t.Fatal(got)
	}
	var v [4]int64
	f.result(1, nr("getitimer"), 0, scratch+64)
	usermem.Read(m, scratch+64, &v)
	if v[0] != 2 || v[1] != 500000 || v[2] < 999 || v[2] > 1000 || v[3] < 0 || v[3] >= 1e6 {
		t.Errorf("getitimer %v, want interval 2.5 s and about 1001 s left", v)
	}
	if got := set([2]int64{0, 0}, [2]int64{0, 0}, scratch+64); got != 0 {
		t.Fatal(got)
	}
	usermem.Read(m, scratch+64, &v)
	if v[0] != 2 || v[1] != 500000 || v[2] < 999 {
		t.Errorf("old value %v", v)
	}
	f.result(1, nr("getitimer"), 0, scratch+64)
	usermem.Read(m, scratch+64, &v)
	if v != [4]int64{} {
		t.Errorf("disarmed timer reads %v", v)
	}
	if got := f.result(1, nr("alarm"), 1000); got != 0 {
		t.Errorf("alarm with none pending = %d", got)
	}
	if got := f.result(1, nr("setitimer"), 0, 0, 0); got != 0 {
		t.Errorf("setitimer(NULL) = %d", got)
	}
	if got := f.result(1, nr("alarm"), 0); got != 0 {
		t.Errorf("alarm after disarming = %d", got)
	}
}

// TestMiscCalls covers the small calls: ioctl's FIONBIO, FIOASYNC and
// FIONREAD on a pipe and ENOTTY for terminal calls; the resource limits;
// sched_getaffinity; prctl's names and dumpable flag; sysinfo; the zeroed
// getrusage and times.
func TestMiscCalls(t *testing.T) {
	f := newFixture(t)
	m := f.p.Proc
	f.result(1, nr("pipe"), scratch)
	rfd, _ := usermem.U32(m, scratch)
	wfd, _ := usermem.U32(m, scratch+4)
	d, _ := f.p.FDs.Get(int(rfd))
	usermem.PutU32(m, scratch+8, 1)
	if got := f.result(1, nr("ioctl"), uint64(rfd), fionbio, scratch+8); got != 0 || d.Flags&oNonblock == 0 {
		t.Errorf("FIONBIO on = %d, flags %#o", got, d.Flags)
	}
	if got := f.result(1, nr("ioctl"), uint64(rfd), fioasync, scratch+8); got != 0 || d.Flags&oAsync == 0 {
		t.Errorf("FIOASYNC on = %d, flags %#o", got, d.Flags)
	}
	usermem.PutU32(m, scratch+8, 0)
	if got := f.result(1, nr("ioctl"), uint64(rfd), fionbio, scratch+8); got != 0 || d.Flags&oNonblock != 0 || d.Flags&oAsync == 0 {
		t.Errorf("FIONBIO off = %d, flags %#o", got, d.Flags)
	}
	m.WriteAt([]byte("abc"), scratch+16)
	f.result(1, nr("write"), uint64(wfd), scratch+16, 3)
	if got := f.result(1, nr("ioctl"), uint64(rfd), fionread, scratch+8); got != 0 {
		t.Fatal(got)
	}
	if n, _ := usermem.U32(m, scratch+8); n != 3 {
		t.Errorf("FIONREAD %d, want 3", n)
	}
	for _, c := range []struct {
		name string
		args []uint64
		want int64
	}{
		{"TCGETS on a pipe", []uint64{uint64(rfd), tcgets, scratch}, errno(syscall.ENOTTY)},
		{"free fd", []uint64{9, fionbio, scratch}, errno(syscall.EBADF)},
		{"FIONBIO, bad pointer", []uint64{uint64(rfd), fionbio, 0x1000}, errno(syscall.EFAULT)},
	} {
		if got := f.result(1, nr("ioctl"), c.args...); got != c.want {
			t.Errorf("ioctl %s = %d, want %d", c.name, got, c.want)
		}
	}

	var lim [2]uint64
	for res, want := range map[uint64][2]uint64{7: {1024, 4096}, 3: {8 << 20, ^uint64(0)}, 0: {^uint64(0), ^uint64(0)}, 15: {^uint64(0), ^uint64(0)}} {
		if got := f.result(1, nr("getrlimit"), res, scratch); got != 0 {
			t.Fatal(got)
		}
		if usermem.Read(m, scratch, &lim); lim != want {
			t.Errorf("getrlimit(%d) = %v, want %v", res, lim, want)
		}
	}
	if got := f.result(1, nr("getrlimit"), 16, scratch); got != errno(syscall.EINVAL) {
		t.Errorf("getrlimit(16) = %d", got)
	}
	for _, c := range []struct {
		name string
		args []uint64
		want int64
	}{
		{"own pid", []uint64{1, 7, 0, scratch}, 0},
		{"pid 0", []uint64{0, 7, scratch, 0}, 0},
		{"no such pid", []uint64{42, 7, 0, scratch}, errno(syscall.ESRCH)},
		{"resource 15, RLIMIT_RTTIME, the last", []uint64{0, 15, scratch, 0}, 0},
		{"resource 16", []uint64{0, 16, scratch, 0}, errno(syscall.EINVAL)},
		{"resource 16, old", []uint64{0, 16, 0, scratch}, errno(syscall.EINVAL)},
	} {
		if got := f.result(1, nr("prlimit64"), c.args...); got != c.want {
			t.Errorf("prlimit64 %s = %d, want %d", c.name, got, c.want)
		}
	}

	if got := f.result(1, nr("sched_getaffinity"), 0, 7, scratch); got != errno(syscall.EINVAL) {
		t.Errorf("sched_getaffinity with 7 bytes = %d", got)
	}
	if got := f.result(1, nr("sched_getaffinity"), 0, 8, scratch); got != 8 {
		t.Errorf("sched_getaffinity = %d, want 8 (bytes written)", got)
	}
	if set, _ := usermem.U64(m, scratch); set != f.h.Online {
		t.Errorf("affinity %#x, want the online CPUs %#x", set, f.h.Online)
	}

	m.WriteAt([]byte("a-rather-long-thread-name\x00"), scratch)
	if got := f.result(1, nr("prctl"), prSetName, scratch); got != 0 || f.p.Comm != "a-rather-long-t" {
		t.Errorf("PR_SET_NAME = %d, comm %q; want the first 15 bytes", got, f.p.Comm)
	}
	m.WriteAt([]byte("short\x00"), scratch)
	f.result(1, nr("prctl"), prSetName, scratch)
	if got := f.result(1, nr("prctl"), prGetName, scratch+64); got != 0 {
		t.Fatal(got)
	}
	name := make([]byte, 16)
	m.ReadAt(name, scratch+64)
	if string(name) != "short\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" {
		t.Errorf("PR_GET_NAME %q", name)
	}
	for _, c := range []struct {
		args []uint64
		want int64
	}{
		{[]uint64{prSetDumpable, 1}, 0}, {[]uint64{prSetDumpable, 2}, errno(syscall.EINVAL)},
		{[]uint64{prGetDumpable}, 1}, {[]uint64{99}, errno(syscall.EINVAL)},
		{[]uint64{prSetName, 0x1000}, errno(syscall.EFAULT)},
	} {
		if got := f.result(1, nr("prctl"), c.args...); got != c.want {
			t.Errorf("prctl%v = %d, want %d", c.args, got, c.want)
		}
	}

	f.result(1, nr("fork"))
	<-f.h.Woken
	if got := f.result(1, nr("sysinfo"), scratch); got != 0 {
		t.Fatal(got)
	}
	procs, _ := usermem.U32(m, scratch+80)
	total, _ := usermem.U64(m, scratch+32)
	unit, _ := usermem.U32(m, scratch+104)
	if uint16(procs) != 2 || total != 512<<20 || unit != 1 {
		t.Errorf("sysinfo procs %d total %d unit %d", uint16(procs), total, unit)
	}
	for name, n := range map[string]int{"getrusage": 144, "times": 32} {
		b := make([]byte, n+1)
		for i := range b {
			b[i] = 0xff
		}
		m.WriteAt(b, scratch)
		arg := []uint64{scratch}
		if name == "getrusage" {
			arg = []uint64{0, scratch}
		}
		if got := f.result(1, nr(name), arg...); got != 0 {
			t.Fatal(got)
		}
		m.ReadAt(b, scratch)
		for i, v := range b {
			if i < n && v != 0 || i == n && v != 0xff {
				t.Errorf("%s: byte %d is %#x", name, i, v)
				break
			}
		}
	}
}
