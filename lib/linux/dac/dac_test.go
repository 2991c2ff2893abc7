package dac

import (
	"syscall"
	"testing"
)

const (
	reg = syscall.S_IFREG
	dir = syscall.S_IFDIR
)

// These cases pin behaviour that the generated host comparison in
// linux_test.go also covers, written out so a failure reads as a rule.
func TestCheckRules(t *testing.T) {
	user := &Cred{FSUID: 1000, FSGID: 1000, Groups: []uint32{100}}
	root := &Cred{Caps: AllCaps}
	searcher := &Cred{FSUID: 1000, FSGID: 1000, Caps: CapSet(0).With(CapDacReadSearch)}
	for _, tc := range []struct {
		name string
		c    *Cred
		f    File
		mask uint32
		want error
	}{
		{"owner read", user, File{reg | 0o400, 1000, 0}, MayRead, nil},
		{"owner class only", user, File{reg | 0o077, 1000, 1000}, MayRead, syscall.EACCES},
		{"supplementary group", user, File{reg | 0o040, 0, 100}, MayRead, nil},
		{"group class only", user, File{reg | 0o407, 0, 100}, MayRead, syscall.EACCES},
		{"other", user, File{reg | 0o004, 0, 0}, MayRead, nil},
		{"other write refused", user, File{reg | 0o004, 0, 0}, MayWrite, syscall.EACCES},
		{"root reads 000", root, File{reg, 1000, 1000}, MayRead | MayWrite, nil},
		{"root exec needs an x bit", root, File{reg | 0o666, 0, 0}, MayExec, syscall.EACCES},
		{"root exec with other x", root, File{reg | 0o001, 1000, 0}, MayExec, nil},
		{"root searches 000 dir", root, File{dir, 1000, 1000}, MayExec | MayWrite, nil},
		{"read-search reads", searcher, File{reg, 0, 0}, MayRead, nil},
		{"read-search does not write", searcher, File{reg, 0, 0}, MayRead | MayWrite, syscall.EACCES},
		{"read-search does not exec", searcher, File{reg | 0o100, 0, 0}, MayExec, syscall.EACCES},
		{"read-search lists and searches dirs", searcher, File{dir, 0, 0}, MayRead | MayExec, nil},
		{"read-search does not write dirs", searcher, File{dir, 0, 0}, MayWrite | MayExec, syscall.EACCES},
	} {
		if got := Check(tc.c, tc.f, tc.mask); got != tc.want {
			t.Errorf("%s: Check = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestOwnershipRules(t *testing.T) {
	user := &Cred{FSUID: 1000, FSGID: 1000}
	root := &Cred{Caps: AllCaps}
	sticky := File{dir | 0o1777, 0, 0}
	if err := CheckDelete(user, sticky, File{reg, 1001, 1001}); err != syscall.EPERM {
		t.Errorf("delete other's file in /tmp: %v, want EPERM", err)
	}
	if err := CheckDelete(user, sticky, File{reg, 1000, 0}); err != nil {
		t.Errorf("delete own file in /tmp: %v", err)
	}
	if err := CheckDelete(user, File{dir | 0o755, 0, 0}, File{reg, 1000, 0}); err != syscall.EACCES {
		t.Errorf("delete from unwritable dir: %v, want EACCES", err)
	}
	if m, err := CheckChmod(user, File{reg | 0o644, 1000, 0}, 0o2755); err != nil || m != reg|0o755 {
		t.Errorf("chmod g+s outside group = %o, %v; want %o", m, err, reg|0o755)
	}
	if _, err := CheckChmod(user, File{reg | 0o644, 0, 0}, 0o777); err != syscall.EPERM {
		t.Errorf("chmod of another's file: %v, want EPERM", err)
	}
	if m, err := CheckChown(root, File{reg | 0o6755, 1000, 1000}, 0, -1); err != nil || m != reg|0o755 {
		t.Errorf("root chown of setuid file = %o, %v; want %o", m, err, reg|0o755)
	}
	if _, err := CheckChown(user, File{reg | 0o644, 1000, 1000}, 1001, -1); err != syscall.EPERM {
		t.Errorf("give away a file: %v, want EPERM", err)
	}
	if err := CheckUtimes(user, File{reg | 0o666, 0, 0}, false); err != nil {
		t.Errorf("touch a writable file: %v", err)
	}
	if err := CheckUtimes(user, File{reg | 0o666, 0, 0}, true); err != syscall.EPERM {
		t.Errorf("set explicit times on another's file: %v, want EPERM", err)
	}
}

// TestStickyDelete is may_delete's sticky rule, from unlink(2) and
// inode(7): in a sticky directory only the victim's owner, the
// directory's owner or a CAP_FOWNER holder may remove an entry; the
// write and search permission on the directory is checked first.
func TestStickyDelete(t *testing.T) {
	alice := &Cred{FSUID: 1000, FSGID: 1000}
	bob := &Cred{FSUID: 1001, FSGID: 1001}
	fowner := &Cred{FSUID: 1002, FSGID: 1002, Caps: CapSet(0).With(CapFowner)}
	root := &Cred{Caps: AllCaps}
	tmp := File{dir | 0o1777, 0, 0} // /tmp: root's
	alicesTmp := File{dir | 0o1777, 1000, 1000}
	bobsFile := File{reg | 0o644, 1001, 1001}
	rootsFile := File{reg | 0o644, 0, 0}
	for _, tc := range []struct {
		name string
		c    *Cred
		d, f File
		want error
	}{
		{"directory's owner removes another's file", alice, alicesTmp, bobsFile, nil},
		{"directory's owner removes root's file", alice, alicesTmp, rootsFile, nil},
		{"file's owner removes it", bob, alicesTmp, bobsFile, nil},
		{"file's owner removes it from root's dir", bob, tmp, bobsFile, nil},
		{"neither owner", alice, tmp, bobsFile, syscall.EPERM},
		{"neither owner, root's file", bob, alicesTmp, rootsFile, syscall.EPERM},
		{"CAP_FOWNER", fowner, tmp, bobsFile, nil},
		{"root", root, tmp, bobsFile, nil},
		{"root in another's dir", root, alicesTmp, bobsFile, nil},
		{"not sticky", alice, File{dir | 0o777, 0, 0}, bobsFile, nil},
		{"sticky but not writable", bob, File{dir | 0o1755, 1000, 1000}, bobsFile, syscall.EACCES},
		{"directory's owner needs write too", alice, File{dir | 0o1577, 1000, 1000}, bobsFile, syscall.EACCES},
		{"CAP_FOWNER does not grant write", fowner, File{dir | 0o1755, 0, 0}, bobsFile, syscall.EACCES},
	} {
		if got := CheckDelete(tc.c, tc.d, tc.f); got != tc.want {
			t.Errorf("%s: CheckDelete = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	c := &Cred{FSUID: 1000, FSGID: 1000, Groups: []uint32{4, 24, 27, 100}}
	f := File{Mode: reg | 0o640, UID: 0, GID: 100}
	for b.Loop() {
		if Check(c, f, MayRead) != nil {
			b.Fatal("denied")
		}
	}
}

// TestChownIDRange: chown(2) takes ids 0 to 2^32-2; -1 leaves one
// unchanged; (uid_t)-1 itself and anything outside are EINVAL.
func TestChownIDRange(t *testing.T) {
	root := &Cred{Caps: AllCaps}
	f := File{reg | 0o644, 1000, 1000}
	for _, c := range []struct {
		uid, gid int64
		want     error
	}{
		{1<<32 - 2, -1, nil},
		{-1, 1<<32 - 2, nil},
		{-1, -1, nil},
		{0, 0, nil},
		{1<<32 - 1, -1, syscall.EINVAL},
		{-1, 1<<32 - 1, syscall.EINVAL},
		{1 << 32, -1, syscall.EINVAL},
		{-1, 1 << 32, syscall.EINVAL},
		{-2, -1, syscall.EINVAL},
		{-1, -2, syscall.EINVAL},
	} {
		if _, err := CheckChown(root, f, c.uid, c.gid); err != c.want {
			t.Errorf("chown(%d, %d) = %v, want %v", c.uid, c.gid, err, c.want)
		}
	}
}
