package redial_test

import (
	"context"
	"errors"
	"sync"
	"syscall"
	"testing"

	"aramid/lib/linux/dac"
	"aramid/proto/authpb"
	"aramid/proto/inproc"
	"aramid/proto/redial"
	"aramid/proto/rpc"
	"aramid/servers/authd"
	"aramid/servers/authd/service"
)

// fakeInit is init's name service for one name: each lookup connects to
// the server running now, and kill ends it as a crash would (its channels
// close) and starts its successor.
type fakeInit struct {
	mu      sync.Mutex
	client  *inproc.Table
	server  *inproc.Channel
	lookups int
}

func newFakeInit() *fakeInit {
	f := &fakeInit{client: inproc.NewTable()}
	f.start()
	return f
}

func (f *fakeInit) start() {
	f.server = inproc.NewChannel(inproc.NewTable(), authpb.NewAuthDispatcher(service.Checker(authd.New())))
}

func (f *fakeInit) dial() (rpc.Transport, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups++
	return f.server.Transport(f.client), nil
}

func (f *fakeInit) kill() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.server.Close()
	f.start()
}

// check asks whether uid 1000 may read a root file of mode 0600.
func check(c *authpb.AuthClient) error {
	_, err := c.CheckAccess(context.Background(), &authpb.AccessRequest{
		Cred: &authpb.Cred{Ruid: 1000, Euid: 1000, Suid: 1000, Fsuid: 1000},
		Mode: syscall.S_IFREG | 0o600, Want: dac.MayRead})
	return err
}

// TestRestartedServer kills the checker between calls: the call that
// finds it gone fails with EIO and redials once, the next is answered
// correctly by the successor, and Gen says the server changed.
func TestRestartedServer(t *testing.T) {
	f := newFakeInit()
	restarts := 0
	tr, err := redial.New(f.dial, func(rpc.Transport) error { restarts++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	c := authpb.NewAuthClient(tr)
	if err := check(c); !errors.Is(err, syscall.EACCES) {
		t.Fatalf("before the kill: %v, want EACCES", err)
	}
	f.kill()
	if err := check(c); !errors.Is(err, syscall.EIO) {
		t.Fatalf("the call that finds the server gone: %v, want EIO", err)
	}
	if tr.Gen() != 1 || restarts != 1 || f.lookups != 2 {
		t.Fatalf("after one kill: gen %d, restarted hook %d times, %d lookups; want 1, 1, 2", tr.Gen(), restarts, f.lookups)
	}
	for i := 0; i < 3; i++ {
		if err := check(c); !errors.Is(err, syscall.EACCES) {
			t.Fatalf("check %d after the restart: %v, want EACCES", i, err)
		}
	}
	if tr.Gen() != 1 || f.lookups != 2 {
		t.Errorf("calls to a live server redialed: gen %d, %d lookups", tr.Gen(), f.lookups)
	}
}

// TestConcurrentFailures has many calls find the server gone at once:
// they redial once between them.
func TestConcurrentFailures(t *testing.T) {
	f := newFakeInit()
	tr, err := redial.New(f.dial, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := authpb.NewAuthClient(tr)
	f.kill()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := check(c); !errors.Is(err, syscall.EIO) && !errors.Is(err, syscall.EACCES) {
				t.Errorf("concurrent call: %v, want EIO or EACCES", err)
			}
		}()
	}
	wg.Wait()
	if tr.Gen() != 1 || f.lookups != 2 {
		t.Errorf("gen %d after %d lookups, want one redial", tr.Gen(), f.lookups)
	}
}

// TestNoSuccessor: when the lookup fails (init gave up on the server),
// the call fails with the lookup's errno, and a later call tries again.
func TestNoSuccessor(t *testing.T) {
	f := newFakeInit()
	fail := false
	tr, err := redial.New(func() (rpc.Transport, error) {
		if fail {
			return nil, syscall.ENOENT
		}
		return f.dial()
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := authpb.NewAuthClient(tr)
	f.kill()
	fail = true
	if err := check(c); !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("no successor: %v, want ENOENT", err)
	}
	fail = false
	if err := check(c); !errors.Is(err, syscall.EIO) {
		t.Fatalf("successor found: %v, want EIO", err)
	}
	if err := check(c); !errors.Is(err, syscall.EACCES) {
		t.Fatalf("then: %v, want EACCES", err)
	}
}

// gone is a transport whose server has closed its end.
type gone struct{ rpc.Transport }

func (gone) PeerGone() bool { return true }

// TestCheck: Check redials at once when the transport knows its server is
// gone, so the next call already reaches the successor; with a live
// server it does nothing.
func TestCheck(t *testing.T) {
	f := newFakeInit()
	tr, err := redial.New(func() (rpc.Transport, error) {
		t, err := f.dial()
		if f.lookups == 1 {
			return gone{t}, err
		}
		return t, err
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.kill()
	tr.Check()
	if tr.Gen() != 1 {
		t.Fatalf("gen %d after Check found the server gone, want 1", tr.Gen())
	}
	if err := check(authpb.NewAuthClient(tr)); !errors.Is(err, syscall.EACCES) {
		t.Fatalf("the call after Check: %v, want EACCES from the successor", err)
	}
	tr.Check()
	if tr.Gen() != 1 || f.lookups != 2 {
		t.Errorf("Check with a live server redialed: gen %d, %d lookups", tr.Gen(), f.lookups)
	}
}
