package fd

import (
	"syscall"
	"testing"
)

type countFile struct{ closed int }

func (*countFile) Read([]byte) (int, error)  { return 0, nil }
func (*countFile) Write([]byte) (int, error) { return 0, nil }
func (c *countFile) Close() error            { c.closed++; return nil }

func TestSharingAndClose(t *testing.T) {
	tab := NewTable()
	f := &countFile{}
	d := NewDescription(f, 0)
	if fd, err := tab.Install(d, 0, false); fd != 0 || err != nil {
		t.Fatalf("install = %d, %v; want 0", fd, err)
	}
	d.IncRef()
	if fd, _ := tab.Install(d, 0, true); fd != 1 {
		t.Fatalf("second install = %d; want the lowest free, 1", fd)
	}
	child := tab.Fork()
	tab.Exec()
	if _, err := tab.Get(1); err != syscall.EBADF {
		t.Fatalf("close-on-exec fd survived exec: %v", err)
	}
	tab.CloseAll()
	if f.closed != 0 {
		t.Fatal("file closed while the child still holds it")
	}
	if ce, _ := child.CloseOnExec(1); !ce {
		t.Fatal("fork lost the close-on-exec flag")
	}
	child.CloseAll()
	if f.closed != 1 {
		t.Fatalf("closed %d times; want once, with the last reference", f.closed)
	}
	if err := child.Close(5); err != syscall.EBADF {
		t.Fatalf("close of a free fd = %v; want EBADF", err)
	}
}

func TestInstallFull(t *testing.T) {
	tab := NewTable()
	for i := 0; i < Max; i++ {
		if _, err := tab.Install(NewDescription(&countFile{}, 0), 0, false); err != nil {
			t.Fatal(err)
		}
	}
	f := &countFile{}
	if _, err := tab.Install(NewDescription(f, 0), 0, false); err != syscall.EMFILE || f.closed != 1 {
		t.Fatalf("install into a full table = %v, closed %d; want EMFILE and the file closed", err, f.closed)
	}
}

// TestSet covers dup2's target: numbers outside [0, Max) are EBADF (and
// the description's reference is dropped), a number in use is closed
// first, and the close-on-exec flag is the new one's.
func TestSet(t *testing.T) {
	tab := NewTable()
	for _, n := range []int{-1, Max} {
		f := &countFile{}
		if err := tab.Set(n, NewDescription(f, 0), false); err != syscall.EBADF || f.closed != 1 {
			t.Errorf("Set(%d) = %v, closed %d; want EBADF and the file closed", n, err, f.closed)
		}
	}
	if err := tab.Set(0, NewDescription(&countFile{}, 0), false); err != nil {
		t.Errorf("Set(0): %v", err)
	}
	old, repl := &countFile{}, &countFile{}
	if err := tab.Set(Max-1, NewDescription(old, 0), true); err != nil {
		t.Fatalf("Set(Max-1): %v", err)
	}
	d := NewDescription(repl, 7)
	if err := tab.Set(Max-1, d, false); err != nil || old.closed != 1 {
		t.Fatalf("Set over an open fd = %v, old closed %d times", err, old.closed)
	}
	if got, _ := tab.Get(Max - 1); got != d || got.Flags != 7 {
		t.Error("Get does not return the new description")
	}
	if ce, _ := tab.CloseOnExec(Max - 1); ce {
		t.Error("the replaced descriptor's close-on-exec flag survived")
	}
	if err := tab.SetCloseOnExec(Max-1, true); err != nil {
		t.Fatal(err)
	}
	if ce, _ := tab.CloseOnExec(Max - 1); !ce {
		t.Error("SetCloseOnExec did not set the flag")
	}
	if err := tab.SetCloseOnExec(3, true); err != syscall.EBADF {
		t.Errorf("SetCloseOnExec of a free fd = %v, want EBADF", err)
	}
	if _, err := tab.CloseOnExec(3); err != syscall.EBADF {
		t.Errorf("CloseOnExec of a free fd = %v, want EBADF", err)
	}
	if fd, err := tab.Install(NewDescription(&countFile{}, 0), Max-1, false); err != syscall.EMFILE || fd != 0 {
		t.Errorf("Install at or above the last, used, number = %d, %v; want EMFILE", fd, err)
	}
}

// TestDescriptionOpen: a description is open while any descriptor refers
// to it, and its file closes with the last reference only.
func TestDescriptionOpen(t *testing.T) {
	f := &countFile{}
	d := NewDescription(f, 0)
	d.IncRef()
	if d.DecRef(); !d.Open() || f.closed != 0 {
		t.Fatal("closed with a reference left")
	}
	if d.DecRef(); d.Open() || f.closed != 1 {
		t.Fatalf("open %v after the last reference, closed %d times", d.Open(), f.closed)
	}
}
