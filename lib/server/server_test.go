package server

import (
	"context"
	"errors"
	"slices"
	"syscall"
	"testing"

	"aramid/proto/controlpb"
	"aramid/proto/examplepb"
	"aramid/proto/inproc"
	"aramid/proto/rpc"
)

// connect opens one connection to s that serves the example Store, over
// the in-process transport, and returns its clients and its release.
func connect(t *testing.T, s *Server) (*examplepb.StoreClient, *controlpb.ControlClient, func()) {
	t.Helper()
	tab := inproc.NewTable()
	released := false
	d, release, err := s.Connection(func(m *rpc.Mux) (func(), error) {
		return func() { released = true }, m.Add(examplepb.StoreMethods, examplepb.NewStoreDispatcher(examplepb.NewMemStore(tab.Close)))
	})
	if err != nil {
		t.Fatal(err)
	}
	ch := inproc.NewChannel(tab, d)
	tr := ch.Transport(inproc.NewTable())
	return examplepb.NewStoreClient(tr), controlpb.NewControlClient(tr), func() {
		ch.Close()
		release()
		if !released {
			t.Error("the connection's release did not run")
		}
	}
}

func TestControl(t *testing.T) {
	ctx := context.Background()
	s := New("testd")
	store, ctl, release := connect(t, s)
	hello, err := ctl.Hello(ctx, &controlpb.HelloRequest{Client: "test", Version: ControlVersion})
	if err != nil {
		t.Fatal(err)
	}
	if hello.Server != "testd" || !slices.Equal(hello.Services, []string{"aramid.example.Store", "aramid.control.Control"}) {
		t.Errorf("Hello: %v", hello)
	}
	if _, err := ctl.Hello(ctx, &controlpb.HelloRequest{Version: ControlVersion + 1}); !errors.Is(err, syscall.EPROTONOSUPPORT) {
		t.Errorf("Hello with another version: %v, want EPROTONOSUPPORT", err)
	}
	if _, err := store.Put(ctx, &examplepb.PutRequest{Key: "k", Value: []byte("v")}); err != nil {
		t.Fatal(err)
	}
	st, err := ctl.Status(ctx, &controlpb.StatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	// Two Hellos, a Put and this Status.
	if st.Server != "testd" || !st.Healthy || st.Connections != 1 || st.Requests != 4 || st.HeapBytes == 0 || st.SysBytes < st.HeapBytes || st.Goroutines == 0 || st.UptimeNs == 0 {
		t.Errorf("Status: %v", st)
	}
	if _, err := ctl.Shutdown(ctx, &controlpb.ShutdownRequest{}); !errors.Is(err, syscall.ENOSYS) {
		t.Errorf("Shutdown: %v, want ENOSYS", err)
	}
	release()

	s.Health = func() error { return errors.New("disk gone") }
	_, ctl, release = connect(t, s)
	defer release()
	st, err = ctl.Status(ctx, &controlpb.StatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Healthy || st.Problem != "disk gone" || st.Connections != 1 || st.Requests != 6 {
		t.Errorf("Status of an unhealthy server after the first connection ended: %v", st)
	}
}

func TestConnectionRoutingConflict(t *testing.T) {
	released := false
	_, _, err := New("testd").Connection(func(m *rpc.Mux) (func(), error) {
		return func() { released = true }, m.Add(controlpb.ControlMethods, controlpb.NewControlDispatcher(controlpb.UnimplementedControlServer{}))
	})
	if err == nil || !released {
		t.Errorf("a server that routes Control itself: err %v, released %v", err, released)
	}
}
