package nic_test

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"sync"
	"syscall"
	"testing"
	"time"

	"aramid/lib/virtio"
	"aramid/lib/virtio/nic"
	"aramid/lib/virtio/virtiotest"
	"aramid/servers/netd/config"
	"aramid/servers/netd/link"
	"aramid/servers/netd/sockets"
)

var _ link.Device = (*nic.Device)(nil)

// wire is a fake virtio-net backend: frames the driver transmits are
// recorded and passed to the peer, if any; frames pushed to it are
// received by the driver as the device finds buffers for them.
type wire struct {
	mu      sync.Mutex
	dev     *virtiotest.Device
	peer    *wire
	pending [][]byte
	sent    [][]byte
}

func (w *wire) Process(q int, req []virtiotest.Seg) (uint32, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if q == 1 {
		frame := append([]byte(nil), req[0].Data[12:]...)
		w.sent = append(w.sent, frame)
		if w.peer != nil {
			go w.peer.push(frame)
		}
		return 0, true
	}
	if len(w.pending) == 0 {
		return 0, false
	}
	f := w.pending[0]
	w.pending = w.pending[1:]
	buf := req[0].Data
	clear(buf[:12])
	return uint32(12 + copy(buf[12:], f)), true
}

func (w *wire) push(frame []byte) {
	w.mu.Lock()
	w.pending = append(w.pending, frame)
	w.mu.Unlock()
	w.dev.Poke()
}

func newCard(t *testing.T, mac byte) (*wire, *nic.Device) {
	t.Helper()
	w := &wire{}
	w.dev = virtiotest.New(virtio.DeviceIDNet, virtio.FeatureVersion1|1<<5|1<<0, []byte{2, 0, 0, 0, 0, mac, 1, 0}, 2, 256, w)
	t.Cleanup(w.dev.Close)
	d, err := nic.Open(w.dev)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return w, d
}

func TestFrames(t *testing.T) {
	w, d := newCard(t, 7)
	if d.MAC().String() != "02:00:00:00:00:07" || d.MTU() != 1500 {
		t.Fatalf("MAC %v, MTU %d", d.MAC(), d.MTU())
	}
	got := make(chan []byte, 1000)
	d.Start(func(f []byte) { got <- append([]byte(nil), f...) })
	const n = 600 // several laps of the 128 receive buffers
	for i := 0; i < n; i++ {
		w.push([]byte(fmt.Sprintf("frame %04d", i)))
	}
	for i := 0; i < n; i++ {
		select {
		case f := <-got:
			if want := fmt.Sprintf("frame %04d", i); string(f) != want {
				t.Fatalf("received %q, want %q", f, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("frame %d not received (device error %v)", i, w.dev.Err())
		}
	}
	for i := 0; i < n; i++ {
		if err := d.Transmit(bytes.Repeat([]byte{byte(i)}, 60+i)); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		w.mu.Lock()
		sent := len(w.sent)
		w.mu.Unlock()
		if uint64(sent)+d.Drops() == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d frames sent, %d dropped", sent, n, d.Drops())
		}
		time.Sleep(time.Millisecond)
	}
	if err := d.Transmit(make([]byte, 2040)); err != syscall.EMSGSIZE {
		t.Fatalf("oversized frame: %v", err)
	}
	if w.dev.Err() != nil {
		t.Fatal(w.dev.Err())
	}
}

// TestTCPBetweenNetds joins two drivers through their fake devices and
// runs a TCP transfer between two netd stacks over them.
func TestTCPBetweenNetds(t *testing.T) {
	wa, da := newCard(t, 1)
	wb, db := newCard(t, 2)
	wa.peer, wb.peer = wb, wa
	a, err := sockets.New(config.Config{Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24")}}, da, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Stop()
	b, err := sockets.New(config.Config{Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24")}}, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	root := sockets.Cred{BindService: true}
	addr := netip.MustParseAddrPort("10.0.0.2:80")
	ln, _ := b.Socket(root, syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err := b.Bind(root, ln, addr); err != nil {
		t.Fatal(err)
	}
	if err := b.Listen(ln, 1); err != nil {
		t.Fatal(err)
	}
	c, _ := a.Socket(root, syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err := a.Connect(ctx, c, addr, false); err != nil {
		t.Fatal(err)
	}
	s, _, err := b.Accept(ctx, ln, false)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("aramid virtio-net "), 1<<20/18)
	go a.Send(ctx, c, bytes.NewReader(data), len(data), netip.AddrPort{}, 0)
	for got := 0; got < len(data); {
		r, err := b.Recv(ctx, s, 64<<10, 0)
		if err != nil {
			t.Fatalf("after %d bytes: %v", got, err)
		}
		if !bytes.Equal(r.Data, data[got:got+len(r.Data)]) {
			t.Fatalf("bytes differ at %d", got)
		}
		got += len(r.Data)
	}
}
