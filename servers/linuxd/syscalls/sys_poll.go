package syscalls

import (
	"encoding/binary"
	"syscall"
	"time"

	"aramid/servers/linuxd/fd"
	"aramid/servers/linuxd/file"
)

func init() {
	byName["eventfd2"] = Entry{Fn: func(c *Ctx) (uint64, error) { return eventfd(c, c.Arg(0), c.Arg(1)) }}
	byName["eventfd"] = Entry{Fn: func(c *Ctx) (uint64, error) { return eventfd(c, c.Arg(0), 0) }}
	byName["poll"] = Entry{Fn: poll, MayBlock: always, Status: Partial, Note: "pipes, the terminal and vfsd files (always ready); no sockets yet"}
	byName["ppoll"] = Entry{Fn: ppoll, MayBlock: always, Status: Partial, Note: "as poll; the signal mask argument is ignored"}
	byName["select"] = Entry{Fn: selectCall, MayBlock: always, Status: Partial, Note: "as poll"}
	byName["pselect6"] = Entry{Fn: pselect6, MayBlock: always, Status: Partial, Note: "as poll; the signal mask argument is ignored"}
}

// Poll events.
const (
	pollIn   = 0x1
	pollOut  = 0x4
	pollErr  = 0x8
	pollHup  = 0x10
	pollNval = 0x20
)

// readiness returns the poll events fd has now.
func readiness(c *Ctx, fdn int) uint16 {
	d, err := c.P().FDs.Get(fdn)
	if err != nil {
		return pollNval
	}
	ready, _ := pollOf(d.File)
	return uint16(ready)
}

// waitReady calls check until it reports something ready, the deadline
// passes (zero: never), or a signal comes.
func waitReady(c *Ctx, deadline time.Time, check func() int) (int, error) {
	if !deadline.IsZero() {
		defer wakeAt(c, deadline).Stop()
	}
	for {
		if n := check(); n > 0 {
			return n, nil
		}
		if !deadline.IsZero() && !time.Now().Before(deadline) {
			return 0, nil
		}
		if c.T.Interrupted() {
			return 0, syscall.EINTR
		}
		c.K.Cond.Wait()
	}
}

func poll(c *Ctx) (uint64, error) {
	var deadline time.Time
	if ms := int32(c.Arg(2)); ms >= 0 {
		deadline = time.Now().Add(time.Duration(ms) * time.Millisecond)
	}
	return pollFDs(c, c.Arg(0), c.Arg(1), deadline)
}

func ppoll(c *Ctx) (uint64, error) {
	var deadline time.Time
	if ts := c.Arg(2); ts != 0 {
		d, err := readTimespec(c.T.Mem(), ts)
		if err != nil {
			return 0, err
		}
		deadline = time.Now().Add(d)
	}
	return pollFDs(c, c.Arg(0), c.Arg(1), deadline)
}

func pollFDs(c *Ctx, addr, n uint64, deadline time.Time) (uint64, error) {
	if n > 1024 {
		return 0, syscall.EINVAL
	}
	raw := make([]byte, 8*n)
	if err := c.T.Mem().ReadAt(raw, addr); err != nil {
		return 0, err
	}
	le := binary.LittleEndian
	check := func() int {
		ready := 0
		for i := uint64(0); i < n; i++ {
			rec := raw[8*i:]
			fdn, want := int32(le.Uint32(rec)), le.Uint16(rec[4:])
			var got uint16
			if fdn >= 0 {
				got = readiness(c, int(fdn)) & (want | pollErr | pollHup | pollNval)
			}
			le.PutUint16(rec[6:], got)
			if got != 0 {
				ready++
			}
		}
		return ready
	}
	if deadline.IsZero() && n == 0 {
		return 0, syscall.EINTR // poll(NULL, 0, -1) waits for a signal
	}
	ready, err := waitReady(c, deadline, check)
	if err != nil {
		return 0, err
	}
	return uint64(ready), c.T.Mem().WriteAt(raw, addr)
}

func selectCall(c *Ctx) (uint64, error) {
	var deadline time.Time
	if tv := c.Arg(4); tv != 0 {
		var v [2]int64
		if err := usermemRead(c, tv, &v); err != nil {
			return 0, err
		}
		if v[0] < 0 || v[1] < 0 {
			return 0, syscall.EINVAL
		}
		deadline = time.Now().Add(time.Duration(v[0])*time.Second + time.Duration(v[1])*time.Microsecond)
	}
	return selectFDs(c, deadline)
}

func pselect6(c *Ctx) (uint64, error) {
	var deadline time.Time
	if ts := c.Arg(4); ts != 0 {
		d, err := readTimespec(c.T.Mem(), ts)
		if err != nil {
			return 0, err
		}
		deadline = time.Now().Add(d)
	}
	return selectFDs(c, deadline)
}

// selectFDs serves select and pselect6: three fd_set bitmaps of nfds bits.
func selectFDs(c *Ctx, deadline time.Time) (uint64, error) {
	nfds := int(int32(c.Arg(0)))
	if nfds < 0 || nfds > 1024 {
		return 0, syscall.EINVAL
	}
	words := (nfds + 63) / 64
	var sets [3][]uint64
	for i := range sets {
		if addr := c.Arg(1 + i); addr != 0 {
			sets[i] = make([]uint64, words)
			if err := usermemRead(c, addr, sets[i]); err != nil {
				return 0, err
			}
		}
	}
	masks := [3]uint16{pollIn | pollHup | pollErr, pollOut | pollErr, 0}
	var out [3][]uint64
	check := func() int {
		ready := 0
		for i := range sets {
			if sets[i] == nil {
				continue
			}
			out[i] = make([]uint64, words)
			for fdn := 0; fdn < nfds; fdn++ {
				if sets[i][fdn/64]&(1<<(fdn%64)) == 0 {
					continue
				}
				if ev := readiness(c, fdn); ev&pollNval != 0 {
					return -1
				} else if ev&masks[i] != 0 {
					out[i][fdn/64] |= 1 << (fdn % 64)
					ready++
				}
			}
		}
		return ready
	}
	if check() < 0 {
		return 0, syscall.EBADF
	}
	ready, err := waitReady(c, deadline, check)
	if err != nil {
		return 0, err
	}
	for i := range sets {
		if sets[i] != nil {
			if err := usermemWrite(c, c.Arg(1+i), out[i]); err != nil {
				return 0, err
			}
		}
	}
	return uint64(ready), nil
}

// eventfd flags.
const efdSemaphore = 1

func eventfd(c *Ctx, initval, flags uint64) (uint64, error) {
	if flags&^(efdSemaphore|oNonblock|oCloexec) != 0 {
		return 0, syscall.EINVAL
	}
	e := file.NewEventFD(c.K.Cond, uint64(uint32(initval)), flags&efdSemaphore != 0)
	n, err := c.P().FDs.Install(fd.NewDescription(e, syscall.O_RDWR|uint32(flags&oNonblock)), 0, flags&oCloexec != 0)
	return uint64(n), err
}
