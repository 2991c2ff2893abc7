package syscalls

import (
	"syscall"
	"time"

	"aramid/servers/linuxd/file"
	"aramid/servers/linuxd/task"
	"aramid/servers/linuxd/usermem"
)

func init() {
	for name, e := range map[string]Entry{
		"ioctl":     {Fn: ioctl, Status: Partial, Note: "FIONBIO, FIOASYNC (the flag only: no SIGIO is sent); terminal calls (termios, window size, process group) and FIONREAD; ENOTTY otherwise"},
		"prlimit64": {Fn: prlimit, Status: Partial, Note: "reports fixed limits; setting is accepted and ignored"},
		"getrlimit": {Fn: func(c *Ctx) (uint64, error) { return limit(c, c.Arg(0), c.Arg(1)) }},
		"setrlimit": {Fn: zero, Status: Partial, Note: "accepted and ignored"},
		"prctl":     {Fn: prctl, Status: Partial, Note: "PR_SET_NAME, PR_GET_NAME, PR_SET_DUMPABLE (accepted) and PR_GET_DUMPABLE; EINVAL otherwise"},
		"sysinfo":   {Fn: sysinfo, Status: Partial, Note: "uptime and process count; memory figures are fixed"},
		"getrusage": {Fn: zeroStruct(1, 144), Status: Partial, Note: "all zero"},
		"times":     {Fn: zeroStruct(0, 32), Status: Partial, Note: "all zero"},
	} {
		byName[name] = e
	}
}

func usermemRead(c *Ctx, addr uint64, v any) error  { return usermem.Read(c.T.Mem(), addr, v) }
func usermemWrite(c *Ctx, addr uint64, v any) error { return usermem.Write(c.T.Mem(), addr, v) }

// zeroStruct answers with n zero bytes at argument arg.
func zeroStruct(arg, n int) Handler {
	return func(c *Ctx) (uint64, error) {
		return 0, c.T.Mem().WriteAt(make([]byte, n), c.Arg(arg))
	}
}

// Terminal ioctls.
const (
	tcgets     = 0x5401
	tcsets     = 0x5402
	tcsetsw    = 0x5403
	tcsetsf    = 0x5404
	tiocsctty  = 0x540e
	tiocgpgrp  = 0x540f
	tiocspgrp  = 0x5410
	tiocgwinsz = 0x5413
	tiocswinsz = 0x5414
	fionread   = 0x541b
	fionbio    = 0x5421
	fioasync   = 0x5452
	oAsync     = 0o20000
	tiocnotty  = 0x5422
	tiocgsid   = 0x5429
)

func ioctl(c *Ctx) (uint64, error) {
	d, err := c.P().FDs.Get(int(int32(c.Arg(0))))
	if err != nil {
		return 0, err
	}
	if flag, ok := map[uint64]uint32{fionbio: oNonblock, fioasync: oAsync}[c.Arg(1)]; ok {
		on, err := usermem.U32(c.T.Mem(), c.Arg(2))
		if err != nil {
			return 0, err
		}
		d.Flags &^= flag
		if on != 0 {
			d.Flags |= flag
		}
		return 0, nil
	}
	if e, ok := d.File.(*file.PipeEnd); ok && c.Arg(1) == fionread {
		return 0, usermem.PutU32(c.T.Mem(), c.Arg(2), uint32(e.Buffered()))
	}
	f, ok := d.File.(*file.TTYFile)
	if !ok {
		return 0, syscall.ENOTTY
	}
	t, m, arg := f.T, c.T.Mem(), c.Arg(2)
	switch c.Arg(1) {
	case tcgets:
		return 0, m.WriteAt(t.Termios.Marshal(), arg)
	case tcsets, tcsetsw, tcsetsf:
		b := make([]byte, file.TermiosSize)
		if err := m.ReadAt(b, arg); err != nil {
			return 0, err
		}
		var n file.Termios
		n.Unmarshal(b)
		t.SetTermios(n)
		return 0, nil
	case tiocgwinsz:
		return 0, usermem.Write(m, arg, [4]uint16{t.Rows, t.Cols, 0, 0})
	case tiocswinsz:
		var ws [4]uint16
		if err := usermem.Read(m, arg, &ws); err != nil {
			return 0, err
		}
		t.Rows, t.Cols = ws[0], ws[1]
		return 0, nil
	case tiocgpgrp:
		return 0, usermem.PutU32(m, arg, uint32(t.Pgrp))
	case tiocspgrp:
		pg, err := usermem.U32(m, arg)
		if err != nil {
			return 0, err
		}
		t.Pgrp = int(int32(pg))
		return 0, nil
	case tiocgsid:
		return 0, usermem.PutU32(m, arg, uint32(t.SID))
	case tiocsctty:
		t.SID, t.Pgrp = c.P().SID, c.P().PGID
		return 0, nil
	case tiocnotty:
		return 0, nil
	case fionread:
		n := uint32(0)
		if f.Readable() {
			n = 1
		}
		return 0, usermem.PutU32(m, arg, n)
	}
	return 0, syscall.EINVAL
}

// Resource limits reported: RLIMIT_NOFILE 1024, RLIMIT_STACK 8 MiB, the
// rest unlimited.
func limitOf(res uint64) [2]uint64 {
	const inf = ^uint64(0)
	switch res {
	case 7:
		return [2]uint64{1024, 4096}
	case 3:
		return [2]uint64{8 << 20, inf}
	}
	return [2]uint64{inf, inf}
}

func limit(c *Ctx, res, addr uint64) (uint64, error) {
	if res > 15 {
		return 0, syscall.EINVAL
	}
	return 0, usermem.Write(c.T.Mem(), addr, limitOf(res))
}

func prlimit(c *Ctx) (uint64, error) {
	if pid := int(int32(c.Arg(0))); pid != 0 && pid != c.P().PID {
		if c.K.Process(pid) == nil {
			return 0, syscall.ESRCH
		}
	}
	if old := c.Arg(3); old != 0 {
		return limit(c, c.Arg(1), old)
	}
	if c.Arg(1) > 15 {
		return 0, syscall.EINVAL
	}
	return 0, nil
}

const (
	prGetDumpable = 3
	prSetDumpable = 4
	prSetName     = 15
	prGetName     = 16
)

func prctl(c *Ctx) (uint64, error) {
	switch c.Arg(0) {
	case prSetName:
		// Linux keeps the first 15 bytes of a longer name.
		s, err := usermem.CString(c.T.Mem(), c.Arg(1), 16)
		if err == syscall.ENAMETOOLONG {
			b := make([]byte, 15)
			err = c.T.Mem().ReadAt(b, c.Arg(1))
			s = string(b)
		}
		if err != nil {
			return 0, err
		}
		c.P().Comm = s
		return 0, nil
	case prSetDumpable:
		if c.Arg(1) > 1 {
			return 0, syscall.EINVAL
		}
		return 0, nil
	case prGetDumpable:
		return 1, nil
	case prGetName:
		b := make([]byte, 16)
		copy(b[:15], c.P().Comm)
		return 0, c.T.Mem().WriteAt(b, c.Arg(1))
	}
	return 0, syscall.EINVAL
}

var started = time.Now()

func sysinfo(c *Ctx) (uint64, error) {
	var info struct {
		Uptime              int64
		Loads               [3]uint64
		Total, Free, Shared uint64
		Buffer, TotalSwap   uint64
		FreeSwap            uint64
		Procs, Pad          uint16
		_                   uint32
		TotalHigh, FreeHigh uint64
		Unit                uint32
		_                   [4]byte
	}
	info.Uptime = int64(time.Since(started).Seconds())
	info.Total, info.Free, info.Unit = 512<<20, 256<<20, 1
	c.K.Processes(func(*task.Process) { info.Procs++ })
	return 0, usermem.Write(c.T.Mem(), c.Arg(0), &info)
}
