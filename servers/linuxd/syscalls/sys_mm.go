package syscalls

import (
	"syscall"

	"aramid/lib/abi"
	"aramid/servers/linuxd/file"
)

func init() {
	byName["brk"] = Entry{Fn: brk}
	byName["mmap"] = Entry{Fn: mmapFile, Status: Partial,
		Note: "the kernel answers anonymous mappings; file mappings here are private copies (MAP_SHARED files are not written back)"}
}

const pageSize = 4096

// brk grows or shrinks the data segment; like Linux it answers the
// current break when it cannot move it.
func brk(c *Ctx) (uint64, error) {
	p := c.P()
	want := c.Arg(0)
	if want < p.BrkStart || want > p.BrkStart+(1<<30) {
		return p.Brk, nil
	}
	oldEnd := (p.Brk + pageSize - 1) &^ (pageSize - 1)
	newEnd := (want + pageSize - 1) &^ (pageSize - 1)
	switch {
	case newEnd > oldEnd:
		if _, err := p.Proc.VM(abi.VMMap, oldEnd, newEnd-oldEnd, 3); err != nil {
			return p.Brk, nil
		}
	case newEnd < oldEnd:
		p.Proc.VM(abi.VMUnmap, newEnd, oldEnd-newEnd, 0)
	}
	p.Brk = want
	return want, nil
}

// mmap flags and protections linuxd looks at. MAP_SHARED_VALIDATE has
// MAP_SHARED's bit.
const (
	mapShared = 0x1
	mapFixed  = 0x10
	protWrite = 0x2
)

// mmapFile maps a file by copying it into fresh anonymous memory: right
// for MAP_PRIVATE, which is what program loaders use; a MAP_SHARED
// mapping of a file sees no later writes and writes nothing back.
func mmapFile(c *Ctx) (uint64, error) {
	addr, length, prot, flags, fdArg, off := c.Arg(0), c.Arg(1), int(c.Arg(2)), c.Arg(3), c.Arg(4), int64(c.Arg(5))
	if length == 0 || off%pageSize != 0 {
		return 0, syscall.EINVAL
	}
	n, d, err := node(c, fdArg)
	if err != nil {
		if err == syscall.ESPIPE {
			return 0, syscall.ENODEV
		}
		return 0, err
	}
	if d.Flags&3 == syscall.O_WRONLY || flags&mapShared != 0 && prot&protWrite != 0 && d.Flags&3 != syscall.O_RDWR {
		return 0, syscall.EACCES
	}
	if flags&mapFixed == 0 {
		addr = 0
	}
	p := c.P()
	at, err := p.Proc.VM(abi.VMMap, addr, length, 3)
	if err != nil {
		return 0, err
	}
	if err := copyFile(c, n, at, length, off); err != nil {
		p.Proc.VM(abi.VMUnmap, at, length, 0)
		return 0, err
	}
	if prot != 3 {
		if _, err := p.Proc.VM(abi.VMProtect, at, length, prot); err != nil {
			return 0, err
		}
	}
	return at, nil
}

func copyFile(c *Ctx, n *file.Node, at, length uint64, off int64) error {
	buf := make([]byte, 60<<10)
	for done := uint64(0); done < length; {
		k, err := n.Pread(buf[:min(uint64(len(buf)), length-done)], off+int64(done))
		if err != nil {
			return err
		}
		if k == 0 {
			return nil // past the end of the file the pages stay zero
		}
		if err := c.T.Mem().WriteAt(buf[:k], at+done); err != nil {
			return err
		}
		done += uint64(k)
	}
	return nil
}
