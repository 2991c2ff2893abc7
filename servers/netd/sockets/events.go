package sockets

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
	PollAll   = uint32(waiter.AllEvents)
)

// Readiness reports which of the events in mask are true now, as one
// poll(2) of the socket would. POLLERR and POLLHUP are always reported.
func (n *Stack) Readiness(id ID, mask uint32) (uint32, error) {
	s, err := n.lookup(id)
	if err != nil {
		return 0, err
	}
	return uint32(s.ep.Readiness(waiter.EventMask(mask|PollErr|PollHup))) & (mask | PollErr | PollHup), nil
}

// Event says that something in Events happened on Socket, for the
// subscription named by Cookie.
type Event struct {
	Socket ID
	Cookie uint64
	Events uint32
}

// watchKey names a subscription: one socket may be watched several times,
// as one file can sit in several epoll sets.
type watchKey struct {
	id     ID
	cookie uint64
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
	n *Stack

	mu      sync.Mutex
	entries map[watchKey]*watchEntry
	pending map[watchKey]uint32
	order   []watchKey    // pending subscriptions, oldest first
	wake    chan struct{} // one token while pending is not empty
}

type watchEntry struct {
	s *socket
	e waiter.Entry
}

// NewWatcher returns an empty Watcher.
func (n *Stack) NewWatcher() *Watcher {
	return &Watcher{n: n, entries: map[watchKey]*watchEntry{}, pending: map[watchKey]uint32{}, wake: make(chan struct{}, 1)}
}

// Watch subscribes w to the events in mask on socket id, under cookie,
// replacing any subscription with the same cookie. POLLERR and POLLHUP
// are always watched. It returns the socket's readiness now, so that a
// caller cannot miss a change that happened before it subscribed.
func (w *Watcher) Watch(id ID, cookie uint64, mask uint32) (uint32, error) {
	s, err := w.n.lookup(id)
	if err != nil {
		return 0, err
	}
	k := watchKey{id, cookie}
	w.Unwatch(id, cookie)
	mask |= PollErr | PollHup
	we := &watchEntry{s: s}
	we.e = waiter.NewFunctionEntry(waiter.EventMask(mask), func(m waiter.EventMask) {
		w.post(k, uint32(m)&mask)
	})
	w.mu.Lock()
	w.entries[k] = we
	w.mu.Unlock()
	s.wq.EventRegister(&we.e)
	return uint32(s.ep.Readiness(waiter.EventMask(mask))) & mask, nil
}

// Unwatch ends a subscription and drops its pending events.
func (w *Watcher) Unwatch(id ID, cookie uint64) {
	k := watchKey{id, cookie}
	w.mu.Lock()
	we, ok := w.entries[k]
	delete(w.entries, k)
	delete(w.pending, k)
	w.mu.Unlock()
	if ok {
		we.s.wq.EventUnregister(&we.e)
	}
}

// UnwatchSocket ends every subscription to id, as closing a file
// removes it from every epoll set.
func (w *Watcher) UnwatchSocket(id ID) {
	for _, k := range w.keys(func(k watchKey) bool { return k.id == id }) {
		w.Unwatch(k.id, k.cookie)
	}
}

func (w *Watcher) keys(match func(watchKey) bool) []watchKey {
	w.mu.Lock()
	defer w.mu.Unlock()
	var ks []watchKey
	for k := range w.entries {
		if match(k) {
			ks = append(ks, k)
		}
	}
	return ks
}

// post runs under netstack's locks: it only records and wakes.
func (w *Watcher) post(k watchKey, ev uint32) {
	if ev == 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.entries[k]; !ok {
		return
	}
	if _, ok := w.pending[k]; !ok {
		w.order = append(w.order, k)
	}
	w.pending[k] |= ev
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
		k := w.order[i]
		if ev, ok := w.pending[k]; ok {
			evs = append(evs, Event{Socket: k.id, Cookie: k.cookie, Events: ev})
			delete(w.pending, k)
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

// Close ends every subscription.
func (w *Watcher) Close() {
	for _, k := range w.keys(func(watchKey) bool { return true }) {
		w.Unwatch(k.id, k.cookie)
	}
}
