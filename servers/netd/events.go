package netd

import (
	"context"
	"sync"
	"syscall"

	"gvisor.dev/gvisor/pkg/waiter"
)

// Poll events, with Linux's values (netstack uses the same numbers).
const (
	PollIn    = uint32(waiter.EventIn)
	PollPri   = uint32(waiter.EventPri)
	PollOut   = uint32(waiter.EventOut)
	PollErr   = uint32(waiter.EventErr)
	PollHup   = uint32(waiter.EventHUp)
	PollRdHup = uint32(waiter.EventRdHUp)
	pollAll   = uint32(waiter.AllEvents)
)

// Readiness reports which of the events in mask are true now, as one
// poll(2) of the socket would. POLLERR and POLLHUP are always reported.
func (n *Server) Readiness(id ID, mask uint32) (uint32, error) {
	s, err := n.lookup(id)
	if err != nil {
		return 0, err
	}
	return uint32(s.ep.Readiness(waiter.EventMask(mask|PollErr|PollHup))) & (mask | PollErr | PollHup), nil
}

// Event says that something in Events happened on Socket.
type Event struct {
	Socket ID
	Events uint32
}

// A Watcher collects readiness events from many sockets for one waiter,
// the way an epoll instance does in Linux: netstack's wait queue calls
// it back on every change, the Watcher folds the events of each socket
// into one pending mask, and Wait hands them over. Nothing is polled.
//
// Each notification is an edge: new data arriving on a socket that was
// already readable is reported again, as Linux's EPOLLET does. Level-
// triggered epoll is built by linuxd asking Readiness for each socket it
// got an event for, and for the sockets it still holds as ready.
type Watcher struct {
	n *Server

	mu      sync.Mutex
	entries map[ID]*watchEntry
	pending map[ID]uint32
	order   []ID          // pending sockets, oldest first
	wake    chan struct{} // one token while pending is not empty
}

type watchEntry struct {
	s *socket
	e waiter.Entry
}

// NewWatcher returns an empty Watcher.
func (n *Server) NewWatcher() *Watcher {
	return &Watcher{n: n, entries: map[ID]*watchEntry{}, pending: map[ID]uint32{}, wake: make(chan struct{}, 1)}
}

// Watch adds id to w, or changes its mask, for the events in mask;
// POLLERR and POLLHUP are always watched. If some are already true they
// are reported at once, as EPOLL_CTL_ADD does.
func (w *Watcher) Watch(id ID, mask uint32) error {
	s, err := w.n.lookup(id)
	if err != nil {
		return err
	}
	w.Unwatch(id)
	mask |= PollErr | PollHup
	we := &watchEntry{s: s}
	we.e = waiter.NewFunctionEntry(waiter.EventMask(mask), func(m waiter.EventMask) {
		w.post(id, uint32(m)&mask)
	})
	w.mu.Lock()
	w.entries[id] = we
	w.mu.Unlock()
	s.wq.EventRegister(&we.e)
	if now := uint32(s.ep.Readiness(waiter.EventMask(mask))) & mask; now != 0 {
		w.post(id, now)
	}
	return nil
}

// Unwatch removes id from w and drops its pending events.
func (w *Watcher) Unwatch(id ID) {
	w.mu.Lock()
	we, ok := w.entries[id]
	delete(w.entries, id)
	delete(w.pending, id)
	w.mu.Unlock()
	if ok {
		we.s.wq.EventUnregister(&we.e)
	}
}

// post runs under netstack's locks: it only records and wakes.
func (w *Watcher) post(id ID, ev uint32) {
	if ev == 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.entries[id]; !ok {
		return
	}
	if _, ok := w.pending[id]; !ok {
		w.order = append(w.order, id)
	}
	w.pending[id] |= ev
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Wait returns up to max pending events, oldest first, waiting for one
// if there are none; the events returned are no longer pending. It
// returns EINTR when ctx ends first.
func (w *Watcher) Wait(ctx context.Context, max int) ([]Event, error) {
	if max <= 0 {
		return nil, syscall.EINVAL
	}
	for {
		if evs := w.take(max); len(evs) > 0 {
			return evs, nil
		}
		select {
		case <-w.wake:
		case <-ctx.Done():
			return nil, syscall.EINTR
		}
	}
}

func (w *Watcher) take(max int) []Event {
	w.mu.Lock()
	defer w.mu.Unlock()
	var evs []Event
	i := 0
	for ; i < len(w.order) && len(evs) < max; i++ {
		id := w.order[i]
		if ev, ok := w.pending[id]; ok {
			evs = append(evs, Event{Socket: id, Events: ev})
			delete(w.pending, id)
		}
	}
	w.order = w.order[i:]
	if len(w.pending) > 0 {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
	return evs
}

// Close unwatches every socket.
func (w *Watcher) Close() {
	w.mu.Lock()
	ids := make([]ID, 0, len(w.entries))
	for id := range w.entries {
		ids = append(ids, id)
	}
	w.mu.Unlock()
	for _, id := range ids {
		w.Unwatch(id)
	}
}
