package syscalls

import (
	"encoding/binary"
	"syscall"
	"time"

	"aramid/servers/linuxd/fd"
	"aramid/servers/linuxd/file"
)

func init() {
	byName["epoll_create"] = Entry{Fn: func(c *Ctx) (uint64, error) {
		if int32(c.Arg(0)) <= 0 {
			return 0, syscall.EINVAL
		}
		return epollCreate(c, 0)
	}}
	byName["epoll_create1"] = Entry{Fn: func(c *Ctx) (uint64, error) { return epollCreate(c, c.Arg(0)) }}
	byName["epoll_ctl"] = Entry{Fn: epollCtl}
	byName["epoll_wait"] = Entry{Fn: func(c *Ctx) (uint64, error) { return epollWait(c, msTimeout(c.Arg(3))) }, MayBlock: epollMayBlock}
	byName["epoll_pwait"] = Entry{Fn: func(c *Ctx) (uint64, error) { return epollWait(c, msTimeout(c.Arg(3))) }, MayBlock: epollMayBlock,
		Status: Partial, Note: "the signal mask argument is ignored"}
}

// epoll flags.
const (
	epollCtlAdd  = 1
	epollCtlDel  = 2
	epollCtlMod  = 3
	epollET      = 1 << 31
	epollOneshot = 1 << 30
)

// epoll is an epoll instance: its interest list.
type epoll struct {
	items map[epKey]*epItem
}

// epKey names an interest as Linux does: the fd number and the open file
// description it named when added.
type epKey struct {
	fd int
	d  *fd.Description
}

type epItem struct {
	events   uint32
	data     uint64
	seen     uint64 // the edge count last reported, for EPOLLET
	disabled bool   // EPOLLONESHOT after its report
}

func (*epoll) Read([]byte) (int, error)  { return 0, syscall.EINVAL }
func (*epoll) Write([]byte) (int, error) { return 0, syscall.EINVAL }
func (*epoll) Close() error              { return nil }

func epollCreate(c *Ctx, flags uint64) (uint64, error) {
	if flags&^oCloexec != 0 {
		return 0, syscall.EINVAL
	}
	n, err := c.P().FDs.Install(fd.NewDescription(&epoll{items: map[epKey]*epItem{}}, syscall.O_RDWR), 0, flags&oCloexec != 0)
	return uint64(n), err
}

func epollOf(c *Ctx, epfd uint64) (*epoll, error) {
	d, err := c.P().FDs.Get(int(int32(epfd)))
	if err != nil {
		return nil, err
	}
	ep, ok := d.File.(*epoll)
	if !ok {
		return nil, syscall.EINVAL
	}
	return ep, nil
}

func epollCtl(c *Ctx) (uint64, error) {
	ep, err := epollOf(c, c.Arg(0))
	if err != nil {
		return 0, err
	}
	op, tfd := c.Arg(1), int(int32(c.Arg(2)))
	d, err := c.P().FDs.Get(tfd)
	if err != nil {
		return 0, err
	}
	if d.File == fd.File(ep) {
		return 0, syscall.EINVAL
	}
	if _, ok := d.File.(file.Pollable); !ok {
		// Linux refuses files that cannot wait, like regular files, to
		// every op; linuxd's epoll cannot be nested either.
		return 0, syscall.EPERM
	}
	key := epKey{tfd, d}
	it := ep.items[key]
	var ev [12]byte
	if op != epollCtlDel {
		if err := c.T.Mem().ReadAt(ev[:], c.Arg(3)); err != nil {
			return 0, err
		}
	}
	events, data := binary.LittleEndian.Uint32(ev[:]), binary.LittleEndian.Uint64(ev[4:])
	switch op {
	case epollCtlAdd:
		if it != nil {
			return 0, syscall.EEXIST
		}
		ep.items[key] = &epItem{events: events, data: data, seen: ^uint64(0)}
	case epollCtlMod:
		if it == nil {
			return 0, syscall.ENOENT
		}
		*it = epItem{events: events, data: data, seen: ^uint64(0)}
	case epollCtlDel:
		if it == nil {
			return 0, syscall.ENOENT
		}
		delete(ep.items, key)
	default:
		return 0, syscall.EINVAL
	}
	return 0, nil
}

// msTimeout turns a millisecond timeout into a deadline (zero: none; a
// negative timeout waits for ever).
func msTimeout(ms uint64) time.Time {
	if int32(ms) < 0 {
		return time.Time{}
	}
	return time.Now().Add(time.Duration(int32(ms)) * time.Millisecond)
}

// epollMayBlock: only a wait with a timeout other than 0 waits, and only
// when nothing is ready yet; a wait that will return at once is served
// inline, without a goroutine and its reply from another thread.
func epollMayBlock(c *Ctx) bool {
	if int32(c.Arg(3)) == 0 {
		return false
	}
	ep, err := epollOf(c, c.Arg(0))
	return err == nil && !ep.anyReady()
}

// anyReady reports whether a wait would report an event now, without
// changing what it has reported.
func (ep *epoll) anyReady() bool {
	for k, it := range ep.items {
		if !k.d.Open() {
			continue
		}
		if got, _ := it.due(k.d.File); got != 0 {
			return true
		}
	}
	return false
}

// due returns the events a wait would report for it, whose file is f,
// now (0: none), and f's edge count.
func (it *epItem) due(f fd.File) (uint32, uint64) {
	ready, gen := pollOf(f)
	if it.disabled || it.events&epollET != 0 && gen == it.seen {
		return 0, gen
	}
	return ready & (it.events | file.EPOLLERR | file.EPOLLHUP), gen
}

// pollOf is a file's readiness and edge count; files that cannot wait
// are always ready.
func pollOf(f fd.File) (uint32, uint64) {
	if p, ok := f.(file.Pollable); ok {
		return p.Poll()
	}
	return file.EPOLLIN | file.EPOLLOUT, 0
}

func epollWait(c *Ctx, deadline time.Time) (uint64, error) {
	ep, err := epollOf(c, c.Arg(0))
	if err != nil {
		return 0, err
	}
	max := int(int32(c.Arg(2)))
	if max <= 0 || max > 1<<16 {
		return 0, syscall.EINVAL
	}
	var out []byte
	check := func() int {
		out = out[:0]
		for k, it := range ep.items {
			if len(out) == 12*max {
				break
			}
			if !k.d.Open() {
				delete(ep.items, k) // closed: Linux drops it with the last descriptor
				continue
			}
			got, gen := it.due(k.d.File)
			if got == 0 {
				continue
			}
			it.seen = gen
			it.disabled = it.events&epollOneshot != 0
			var ev [12]byte
			binary.LittleEndian.PutUint32(ev[:], got)
			binary.LittleEndian.PutUint64(ev[4:], it.data)
			out = append(out, ev[:]...)
		}
		return len(out) / 12
	}
	if int32(c.Arg(3)) == 0 {
		deadline = time.Now()
	}
	n, err := waitReady(c, deadline, check)
	if err != nil || n == 0 {
		return 0, err
	}
	return uint64(n), c.T.Mem().WriteAt(out, c.Arg(1))
}
