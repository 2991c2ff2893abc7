package syscalls

import (
	"syscall"
	"testing"

	"aramid/lib/linux/cred"
	"aramid/lib/linux/sysno"
	"aramid/servers/linuxd/usermem"
)

// TestAffinity checks sched_setaffinity and sched_getaffinity against
// Linux's rules on the fake kernel's two CPUs.
func TestAffinity(t *testing.T) {
	f := newFixture(t)
	set, get := nr("sched_setaffinity"), nr("sched_getaffinity")
	m := f.p.Proc
	put := func(v uint64) { usermem.PutU64(m, scratch, v) }
	read := func() uint64 { v, _ := usermem.U64(m, scratch+8); return v }

	put(1 << 1)
	if r := f.result(1, set, 0, 8, scratch); r != 0 {
		t.Fatalf("sched_setaffinity(cpu 1) = %d", r)
	}
	for _, n := range []uint64{8, 16, 128} {
		if r := f.result(1, get, 0, n, scratch+8); r != 8 || read() != 1<<1 {
			t.Errorf("sched_getaffinity(len %d) = %d, mask %#x; want 8, 0x2", n, r, read())
		}
	}
	if r := f.result(1, get, 1, 8, scratch+8); r != 8 || read() != 1<<1 {
		t.Errorf("sched_getaffinity(own pid) = %d, mask %#x", r, read())
	}
	put(3)
	if r := f.result(1, set, 0, 1, scratch); r != 0 { // one byte read: CPUs 0 and 1
		t.Errorf("sched_setaffinity(len 1) = %d", r)
	}
	f.result(1, get, 0, 8, scratch+8)
	if read() != 3 {
		t.Errorf("mask after a one-byte set = %#x, want 0x3", read())
	}
	for _, c := range []struct {
		name       string
		nr         uint64
		pid, n, at uint64
		mask       uint64
		want       syscall.Errno
	}{
		{"an empty mask", set, 0, 8, scratch, 0, syscall.EINVAL},
		{"only an offline CPU", set, 0, 8, scratch, 1 << 5, syscall.EINVAL},
		{"a CPU past the bytes read", set, 0, 16, scratch, 0, syscall.EINVAL},
		{"no such thread", set, 4242, 8, scratch, 1, syscall.ESRCH},
		{"a bad mask pointer", set, 0, 8, 0x1000, 1, syscall.EFAULT},
		{"a short buffer", get, 0, 4, scratch, 1, syscall.EINVAL},
		{"a length not of longs", get, 0, 12, scratch, 1, syscall.EINVAL},
		{"no such thread", get, 4242, 8, scratch, 1, syscall.ESRCH},
		{"a bad buffer", get, 0, 8, 0x1000, 1, syscall.EFAULT},
	} {
		put(c.mask)
		usermem.PutU64(m, scratch+8, 1<<8) // past the 8 bytes read
		if r := f.result(1, c.nr, c.pid, c.n, c.at); r != errno(c.want) {
			t.Errorf("%s with %s = %d, want %d", sysno.Name(c.nr), c.name, r, errno(c.want))
		}
	}
}

// TestAffinityOfOthers checks that another user's thread cannot be
// placed without CAP_SYS_NICE, and that a new thread keeps its creator's
// mask.
func TestAffinityOfOthers(t *testing.T) {
	f := newFixture(t)
	set := nr("sched_setaffinity")
	kp, _ := f.h.Create("other", 0)
	other := f.k.NewProcess(kp, 2, f.p, f.p.FDs.Fork())
	other.Cred = &cred.Cred{RUID: 1000, EUID: 1000, SUID: 1000, FSUID: 1000}
	usermem.PutU64(f.p.Proc, scratch, 1)
	if r := f.result(1, set, 2, 8, scratch); r != 0 {
		t.Errorf("root placing another user's thread = %d", r)
	}
	f.p.Cred = &cred.Cred{RUID: 1001, EUID: 1001, SUID: 1001, FSUID: 1001}
	if r := f.result(1, set, 2, 8, scratch); r != errno(syscall.EPERM) {
		t.Errorf("another user placing it = %d, want EPERM", r)
	}
	if r := f.result(1, set, 0, 8, scratch); r != 0 {
		t.Errorf("a user placing its own thread = %d", r)
	}
	tid, err := f.p.Proc.StartThread(nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := f.p.Proc.Affinity(tid, 0); got != 1 {
		t.Errorf("a new thread's mask = %#x, want its creator's 0x1", got)
	}
}
