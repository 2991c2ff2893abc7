package sockets

import (
	"context"
	"errors"
	"maps"
	"net/netip"
	"strings"
	"syscall"
	"testing"
)

// cancelled is a context that has already ended: Wait on it returns what
// is pending, or EINTR, without sleeping.
func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// Wait hands over pending events oldest first, at most max at a time, and
// each only once; what a subscription's mask excludes is not an event.
func TestWatcherWait(t *testing.T) {
	n := loopbackServer(t)
	ctx := context.Background()
	c1, s1 := connectedPair(t, n, 9020)
	c2, s2 := connectedPair(t, n, 9021)
	w := n.NewWatcher()
	defer w.Close()
	if _, err := w.Wait(cancelled(), 0); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("Wait for 0 events = %v, want EINVAL", err)
	}
	if evs, err := w.Wait(cancelled(), 8); !errors.Is(err, syscall.EINTR) {
		t.Errorf("Wait with nothing pending = %v, %v; want EINTR", evs, err)
	}
	if _, err := w.Watch(7777, 1, PollIn); !errors.Is(err, syscall.EBADF) {
		t.Errorf("Watch of an unknown socket = %v, want EBADF", err)
	}
	if _, err := n.Readiness(7777, PollIn); !errors.Is(err, syscall.EBADF) {
		t.Errorf("Readiness of an unknown socket = %v, want EBADF", err)
	}
	// Writable already, so only a new edge would be reported.
	if ready, err := w.Watch(s1, 1, PollOut); err != nil || ready != PollOut {
		t.Errorf("Watch(POLLOUT) = %#x, %v; want POLLOUT", ready, err)
	}
	if _, err := w.Watch(s2, 2, PollIn); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Watch(s1, 3, PollIn); err != nil {
		t.Fatal(err)
	}
	// Data is no POLLOUT event for cookie 1. With two events pending,
	// Wait(1) takes one at a time.
	for _, c := range []ID{c2, c1} {
		if _, err := n.Send(ctx, c, strings.NewReader("x"), 1, netip.AddrPort{}, 0); err != nil {
			t.Fatal(err)
		}
	}
	got := map[Event]bool{}
	for range 2 {
		evs, err := w.Wait(ctx, 1)
		if err != nil || len(evs) != 1 {
			t.Fatalf("Wait(1) = %v, %v; want one event", evs, err)
		}
		got[evs[0]] = true
	}
	if want := map[Event]bool{{s2, 2, PollIn}: true, {s1, 3, PollIn}: true}; !maps.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
	if evs, err := w.Wait(cancelled(), 8); !errors.Is(err, syscall.EINTR) {
		t.Errorf("Wait after taking everything = %v, %v; want EINTR", evs, err)
	}
}

// Closing a file takes it out of every epoll set it was in: UnwatchSocket
// ends all of a socket's subscriptions, and no other.
func TestUnwatchSocket(t *testing.T) {
	n := loopbackServer(t)
	ctx := context.Background()
	c1, s1 := connectedPair(t, n, 9022)
	c2, s2 := connectedPair(t, n, 9023)
	w := n.NewWatcher()
	defer w.Close()
	for _, sub := range []struct {
		id     ID
		cookie uint64
	}{{s1, 1}, {s1, 2}, {s2, 3}} {
		if _, err := w.Watch(sub.id, sub.cookie, PollIn); err != nil {
			t.Fatal(err)
		}
	}
	w.UnwatchSocket(s1)
	for _, c := range []ID{c1, c2} {
		n.Send(ctx, c, strings.NewReader("x"), 1, netip.AddrPort{}, 0)
	}
	evs, err := w.Wait(ctx, 8)
	if err != nil || len(evs) != 1 || evs[0] != (Event{s2, 3, PollIn}) {
		t.Errorf("events after UnwatchSocket = %v, %v; want only cookie 3", evs, err)
	}
}
