package service

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"net/netip"
	"syscall"
	"testing"
)

// echo serves one connection on l: it writes back what it reads until
// end of stream, then closes.
func echo(l *lx, s uint64) error {
	ctx := context.Background()
	buf := make([]byte, 32<<10)
	for {
		n, err := l.read(ctx, s, buf)
		if err != nil {
			return err
		}
		if n == 0 {
			return l.closeSocket(s)
		}
		if err := l.write(ctx, s, buf[:n]); err != nil {
			return err
		}
	}
}

// echoServer accepts connections on ln forever, serving each with echo.
func echoServer(t testing.TB, l *lx, ln uint64) {
	go func() {
		for {
			c, _, err := l.accept(context.Background(), ln)
			if err != nil {
				return
			}
			go echo(l, c)
		}
	}()
}

func TestTCPEcho10MiB(t *testing.T) {
	a, b := newPair(t)
	ln := b.lx.listener(syscall.AF_INET, netip.AddrPortFrom(addrB4, 7), 16)
	echoServer(t, b.lx, ln)
	c := a.lx.dial(syscall.AF_INET, netip.AddrPortFrom(addrB4, 7))

	data := make([]byte, 10<<20)
	rand.Read(data)
	want := sha256.Sum256(data)
	// A writer that fails ends the reader's wait too.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	werr := make(chan error, 1)
	go func() {
		err := a.lx.write(ctx, c, data)
		if err == nil {
			_, err = a.lx.c.Shutdown(ctx, shutdownReq(c, syscall.SHUT_WR))
		}
		if err != nil {
			t.Errorf("write: %v", err)
			cancel()
		}
		werr <- err
	}()
	h := sha256.New()
	buf := make([]byte, 64<<10)
	total := 0
	for {
		n, err := a.lx.read(ctx, c, buf)
		if err != nil {
			t.Fatalf("read after %d bytes: %v", total, err)
		}
		if n == 0 {
			break
		}
		h.Write(buf[:n])
		total += n
	}
	if err := <-werr; err != nil {
		t.Fatal("write:", err)
	}
	if total != len(data) || !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatalf("echoed %d bytes with sha256 %x, want %d bytes with %x", total, h.Sum(nil), len(data), want)
	}
}

func TestThousandConnections(t *testing.T) {
	a, b := newPair(t)
	ln := b.lx.listener(syscall.AF_INET, netip.AddrPortFrom(addrB4, 8080), 128)
	echoServer(t, b.lx, ln)
	ctx := context.Background()
	const workers, each = 10, 100
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			for i := range each {
				c, err := a.lx.socket(syscall.AF_INET, syscall.SOCK_STREAM)
				if err == nil {
					err = a.lx.connect(ctx, c, netip.AddrPortFrom(addrB4, 8080))
				}
				msg := []byte{byte(w), byte(i)}
				if err == nil {
					err = a.lx.write(ctx, c, msg)
				}
				got := make([]byte, 2)
				if err == nil {
					_, err = a.lx.read(ctx, c, got)
				}
				if err == nil && !bytes.Equal(got, msg) {
					t.Errorf("connection %d/%d echoed %v, want %v", w, i, got, msg)
				}
				if cerr := a.lx.closeSocket(c); err == nil {
					err = cerr
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// Every socket A opened is closed: only the listener's side and
	// connections still finishing (TIME_WAIT, no inode) remain.
	for _, e := range a.srv.SocketTable() {
		if e.Inode != 0 {
			t.Errorf("socket still open on A: %+v", e)
		}
	}
}
