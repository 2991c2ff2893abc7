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
