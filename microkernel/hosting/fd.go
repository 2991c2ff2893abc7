package hosting

import (
	"sync/atomic"
	"syscall"
	"unsafe"

	"aramid/lib/linux"
	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/console"
	"aramid/microkernel/proc"
	"aramid/microkernel/sched"
)

// The kernel's file descriptors: the console on 0-2, and the eventfd and
// epoll objects that the runtime's netpoller uses to sleep until a timer.
const (
	kindFree = iota
	kindConsole
	kindEventfd
	kindEpoll
)

const (
	maxFDs       = 64
	maxWatches   = 8
	consoleEvent = 1 << 32 // wait key of readers of the console
)

type watch struct {
	fd     int
	events uint32
	data   uint64
}

type fdEntry struct {
	kind    int
	counter uint64 // eventfd
	watches [maxWatches]watch
	nwatch  int
}

// Each process (the kernel is process 0) has its own table; a table is
// cleared when a new process takes over the slot (its generation changes).
var (
	fdTables [proc.MaxProcs][maxFDs]fdEntry
	fdGen    [proc.MaxProcs]uint32
)

// table returns the calling process's descriptor table.
//
//go:nosplit
func table() *[maxFDs]fdEntry {
	p := proc.Current()
	t := &fdTables[p]
	if g := proc.Procs[p].Gen; fdGen[p] != g || t[0].kind == kindFree {
		*t = [maxFDs]fdEntry{}
		t[0].kind, t[1].kind, t[2].kind = kindConsole, kindConsole, kindConsole
		fdGen[p] = g
	}
	return t
}

//go:nosplit
func lookup(fd int) *fdEntry {
	t := table()
	if fd < 0 || fd >= maxFDs || t[fd].kind == kindFree {
		return nil
	}
	return &t[fd]
}

//go:nosplit
func newFD(kind int) uint64 {
	t := table()
	for i := 3; i < maxFDs; i++ {
		if t[i].kind == kindFree {
			t[i] = fdEntry{kind: kind}
			return uint64(i)
		}
	}
	return errno(syscall.EMFILE)
}

//go:nosplit
func closeFD(fd int) uint64 {
	e := lookup(fd)
	if e == nil {
		return errno(syscall.EBADF)
	}
	if fd > 2 {
		*e = fdEntry{}
	}
	return 0
}

//go:nosplit
func preadFD(fd int) uint64 {
	if lookup(fd) == nil {
		return errno(syscall.EBADF)
	}
	return errno(syscall.ESPIPE)
}

//go:nosplit
func fcntl(fd, cmd int) uint64 {
	if lookup(fd) == nil {
		return errno(syscall.EBADF)
	}
	if cmd == linux.F_GETFL {
		return linux.O_RDWR
	}
	return 0
}

//go:nosplit
func sysWrite(fd int, buf, n uint64) uint64 {
	e := lookup(fd)
	if e == nil {
		return errno(syscall.EBADF)
	}
	if !valid(buf, n, false) {
		return errno(syscall.EFAULT)
	}
	switch e.kind {
	case kindConsole:
		console.Write(bytesAt(buf, n))
		return n
	case kindEventfd:
		if n < 8 {
			return errno(syscall.EINVAL)
		}
		e.counter += get64(buf)
		wakeEpollers()
		return 8
	}
	return errno(syscall.EINVAL)
}

// writev writes each buffer of an iovec array in turn (musl's stdio uses
// it).
//
//go:nosplit
func writev(fd int, iov, n uint64) uint64 {
	if n > 1024 {
		return errno(syscall.EINVAL)
	}
	if !valid(iov, n*16, false) {
		return errno(syscall.EFAULT)
	}
	total := uint64(0)
	for i := uint64(0); i < n; i++ {
		r := sysWrite(fd, get64(iov+16*i), get64(iov+16*i+8))
		if int64(r) < 0 {
			if total > 0 {
				return total
			}
			return r
		}
		total += r
	}
	return total
}

//go:nosplit
func sysRead(f *amd64.Frame, fx *amd64.FXArea, fd int, buf, n uint64) (uint64, bool) {
	e := lookup(fd)
	if e == nil {
		return errno(syscall.EBADF), false
	}
	if !valid(buf, n, true) {
		return errno(syscall.EFAULT), false
	}
	switch e.kind {
	case kindConsole:
		got := readInput(bytesAt(buf, n))
		if got == 0 && n > 0 {
			sched.BlockRestart(f, fx, sched.WaitEvent, consoleEvent, 0, 0)
			return 0, true
		}
		return uint64(got), false
	case kindEventfd:
		if n < 8 {
			return errno(syscall.EINVAL), false
		}
		if e.counter == 0 {
			return errno(syscall.EAGAIN), false
		}
		put64(buf, e.counter)
		e.counter = 0
		return 8, false
	}
	return errno(syscall.EINVAL), false
}

//go:nosplit
func eventfd(initval uint64) uint64 {
	fd := newFD(kindEventfd)
	if int64(fd) >= 0 {
		table()[fd].counter = initval
	}
	return fd
}

//go:nosplit
func epollCtl(epfd, op, fd int, ev uint64) uint64 {
	ep, target := lookup(epfd), lookup(fd)
	if ep == nil || target == nil {
		return errno(syscall.EBADF)
	}
	if ep.kind != kindEpoll || fd == epfd {
		return errno(syscall.EINVAL)
	}
	i := 0
	for i < ep.nwatch && ep.watches[i].fd != fd {
		i++
	}
	switch op {
	case linux.EPOLL_CTL_ADD, linux.EPOLL_CTL_MOD:
		if op == linux.EPOLL_CTL_ADD && i < ep.nwatch {
			return errno(syscall.EEXIST)
		}
		if op == linux.EPOLL_CTL_MOD && i == ep.nwatch {
			return errno(syscall.ENOENT)
		}
		if !valid(ev, 12, false) {
			return errno(syscall.EFAULT)
		}
		if i == maxWatches {
			return errno(syscall.ENOMEM)
		}
		ep.watches[i] = watch{fd: fd, events: get32(ev), data: get64(ev + 4)}
		if i == ep.nwatch {
			ep.nwatch++
		}
	case linux.EPOLL_CTL_DEL:
		if i == ep.nwatch {
			return errno(syscall.ENOENT)
		}
		ep.nwatch--
		ep.watches[i] = ep.watches[ep.nwatch]
	default:
		return errno(syscall.EINVAL)
	}
	return 0
}

// epollWait reports ready eventfds; with none ready it blocks until an
// eventfd is written or the timeout (ms, -1 = forever) passes.
//
//go:nosplit
func epollWait(f *amd64.Frame, fx *amd64.FXArea, epfd int, events uint64, max, timeout int) (uint64, bool) {
	ep := lookup(epfd)
	if ep == nil {
		return errno(syscall.EBADF), false
	}
	if ep.kind != kindEpoll || max <= 0 {
		return errno(syscall.EINVAL), false
	}
	if !valid(events, uint64(max)*12, true) {
		return errno(syscall.EFAULT), false
	}
	n := 0
	for i := 0; i < ep.nwatch && n < max; i++ {
		w := &ep.watches[i]
		t := lookup(w.fd)
		if t != nil && t.kind == kindEventfd && t.counter > 0 && w.events&linux.EPOLLIN != 0 {
			ev := events + uint64(n)*12
			*(*uint32)(ptr(ev)) = linux.EPOLLIN
			*(*uint64)(ptr(ev + 4)) = w.data
			n++
		}
	}
	if n > 0 || timeout == 0 {
		return uint64(n), false
	}
	deadline := int64(0)
	if timeout > 0 {
		deadline = nowPlusMs(timeout)
	}
	sched.BlockRestart(f, fx, sched.WaitEvent, epollKey(), deadline, 0)
	return 0, true
}

// epollKey is the wait key of the calling process's epoll waiters: an
// eventfd write wakes them all, and they re-check their sets.
//
//go:nosplit
func epollKey() uint64 { return 2<<32 | uint64(proc.Current()) }

//go:nosplit
func wakeEpollers() { sched.Wake(sched.WaitEvent, epollKey(), sched.MaxThreads) }

// Console input: the serial interrupt fills a ring that reads drain.
var (
	inputRing      [1024]byte
	inHead, inTail uint64
)

// RawConsole hands console input to user space untouched (kernel command
// line aramid.tty): linuxd's terminal then does the echo and line editing.
var RawConsole bool

// ConsoleInput drains the serial port into the input ring and wakes
// readers. It is called from the serial interrupt. Unless RawConsole is
// set, it echoes what is typed and turns carriage return into newline,
// like a terminal in canonical mode, for the kernel monitor.
//
//go:nosplit
func ConsoleInput() {
	got := false
	for {
		c, ok := console.ReadByte()
		if !ok {
			break
		}
		if !RawConsole {
			if c == '\r' {
				c = '\n'
			}
			console.Write([]byte{c})
		} else if escapeByte(c) {
			continue
		}
		if inTail-inHead < uint64(len(inputRing)) {
			inputRing[inTail%uint64(len(inputRing))] = c
			inTail++
			got = true
		}
	}
	if got {
		sched.Wake(sched.WaitEvent, consoleEvent, sched.MaxThreads)
	}
}

//go:nosplit
func readInput(p []byte) int {
	n := 0
	for n < len(p) && inHead < inTail {
		p[n] = inputRing[inHead%uint64(len(inputRing))]
		inHead++
		n++
	}
	return n
}

// The monitor escape: on a raw console, where every byte is linuxd's,
// Ctrl-] starts a line for the kernel monitor instead, ended by CR or LF,
// as a BREAK starts a magic SysRq key on Linux's serial console. It is how
// a test, or a user of make qemu, reaches the monitor's kill while a Linux
// program owns the terminal. The lines queue in a ring of their own; what
// does not fit is dropped.
const monitorEscape = 0x1d

var (
	escaping               bool
	escapeRing             [256]byte
	escapeHead, escapeTail uint64
	escapeLines            uint32 // lines completed; the monitor futex-waits on it
)

// escapeByte takes c into a monitor line if one is being typed, or starts
// one, and reports whether it did.
//
//go:nosplit
func escapeByte(c byte) bool {
	switch {
	case c == monitorEscape:
		escaping = true
	case !escaping:
		return false
	case c == '\r' || c == '\n':
		escaping = false
		putEscape('\n')
		atomic.AddUint32(&escapeLines, 1)
		sched.Wake(sched.WaitFutex, uint64(uintptr(unsafe.Pointer(&escapeLines))), sched.MaxThreads)
	default:
		putEscape(c)
	}
	return true
}

//go:nosplit
func putEscape(c byte) {
	if escapeTail-escapeHead < uint64(len(escapeRing)) {
		escapeRing[escapeTail%uint64(len(escapeRing))] = c
		escapeTail++
	}
}

// NextEscape waits for a line typed after the monitor escape and returns
// it. Only the monitor calls it.
func NextEscape() string {
	for {
		seen := atomic.LoadUint32(&escapeLines)
		var line [len(escapeRing)]byte
		n, ok := 0, false
		fl := sched.Lock()
		for i := escapeHead; i < escapeTail; i++ {
			if c := escapeRing[i%uint64(len(escapeRing))]; c != '\n' {
				line[n] = c
				n++
				continue
			}
			escapeHead, ok = i+1, true
			break
		}
		sched.Unlock(fl)
		if ok {
			return string(line[:n])
		}
		WaitWord(uintptr(unsafe.Pointer(&escapeLines)), seen)
	}
}
