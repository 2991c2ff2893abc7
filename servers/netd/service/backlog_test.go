package service

import (
	"context"
	"errors"
	"net/netip"
	"syscall"
	"testing"
)

// listen(fd, 1) gives an accept queue of two (Linux's backlog+1). Four
// clients connecting at once overflow it: netstack then does what Linux
// does, dropping SYNs (the client retries) or answering with a SYN
// cookie (the handshake completes with the client's first data). No
// connection is lost: all four are accepted and their data arrives.
func TestAcceptBacklogOverflow(t *testing.T) {
	a, b := newPair(t)
	// A client that fails ends the server's waits too.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	to := netip.AddrPortFrom(addrB4, 80)
	ln := b.lx.listener(syscall.AF_INET, to, 1)
	var cs []uint64
	for range 4 {
		c := a.lx.mustSocket(syscall.AF_INET, syscall.SOCK_STREAM)
		if _, err := a.lx.c.Connect(ctx, connReq(c, to)); !errors.Is(err, syscall.EINPROGRESS) {
			t.Fatalf("connect = %v, want EINPROGRESS", err)
		}
		cs = append(cs, c)
	}
	// The clients finish connecting and send while the server accepts.
	errs := make(chan error, len(cs))
	for i, c := range cs {
		go func() {
			err := a.lx.finishConnect(ctx, c)
			if err == nil {
				err = a.lx.write(ctx, c, []byte{byte(i)})
			}
			if err != nil {
				t.Errorf("client %d: %v", i, err)
				cancel()
			}
			errs <- err
		}()
	}
	seen := map[byte]bool{}
	for range cs {
		s, _, err := b.lx.accept(ctx, ln)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 1)
		if n, err := b.lx.read(ctx, s, buf); n != 1 || err != nil {
			t.Fatalf("read = %d, %v", n, err)
		}
		seen[buf[0]] = true
	}
	for range cs {
		if err := <-errs; err != nil {
			t.FailNow()
		}
	}
	if len(seen) != len(cs) {
		t.Errorf("accepted connections carried %v, want one byte from each of %d clients", seen, len(cs))
	}
	st := b.srv.Stats().TCP
	if st.ListenOverflowSynDrop.Value()+st.ListenOverflowSynCookieSent.Value()+st.ListenOverflowAckDrop.Value() == 0 {
		t.Error("four simultaneous connects did not overflow an accept queue of two")
	}
}
