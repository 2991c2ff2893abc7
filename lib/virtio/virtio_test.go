package virtio_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"aramid/lib/virtio"
	"aramid/lib/virtio/virtiotest"
)

// upper is a backend that writes the upper-case of the readable buffer
// into the writable one.
type upper struct{}

func (upper) Process(q int, req []virtiotest.Seg) (uint32, bool) {
	in, out := req[0].Data, req[1].Data
	return uint32(copy(out, bytes.ToUpper(in))), true
}

func open(t *testing.T, features uint64, b virtiotest.Backend) (*virtiotest.Device, *virtio.Device) {
	t.Helper()
	f := virtiotest.New(virtio.DeviceIDBlk, features, make([]byte, 8), 2, 64, b)
	t.Cleanup(f.Close)
	d, err := virtio.Open(f, 1<<3|1<<40)
	if err != nil {
		t.Fatal(err)
	}
	return f, d
}

func TestNegotiate(t *testing.T) {
	f, d := open(t, virtio.FeatureVersion1|1<<3|1<<7, upper{})
	if got, want := d.Features(), uint64(virtio.FeatureVersion1|1<<3); got != want {
		t.Fatalf("features %#x, want %#x", got, want)
	}
	if f.DriverFeatures() != d.Features() {
		t.Fatalf("device saw %#x", f.DriverFeatures())
	}
	if f.Status()&virtio.StatusFeaturesOK == 0 {
		t.Fatalf("status %#x", f.Status())
	}
}

func TestLegacyOnlyRefused(t *testing.T) {
	f := virtiotest.New(virtio.DeviceIDBlk, 1<<3, nil, 1, 8, upper{})
	defer f.Close()
	if _, err := virtio.Open(f, 1<<3); !errors.Is(err, virtio.ErrNotModern) {
		t.Fatalf("Open of a device without VERSION_1: %v", err)
	}
}

func TestQueueRoundTrip(t *testing.T) {
	f, d := open(t, virtio.FeatureVersion1, upper{})
	q, err := d.Queue(0, 256)
	if err != nil {
		t.Fatal(err)
	}
	if q.Size() != 64 {
		t.Fatalf("queue size %d, want the device's 64", q.Size())
	}
	done := make(chan []virtio.Used, 1)
	d.Start(50*time.Millisecond, func() {
		if u := q.Collect(nil); len(u) > 0 {
			done <- u
		}
	})
	defer d.Close()
	mem, err := f.AllocDMA(4096)
	if err != nil {
		t.Fatal(err)
	}
	copy(mem.Bytes, "hello, device")
	for round := 0; round < 200; round++ { // several laps of the ring
		if err := q.Add([]virtio.Buf{{Phys: mem.Phys, Len: 13}, {Phys: mem.Phys + 2048, Len: 64, Write: true}}, round); err != nil {
			t.Fatal(err)
		}
		q.Kick()
		select {
		case u := <-done:
			if len(u) != 1 || u[0].Token != round || u[0].Len != 13 {
				t.Fatalf("round %d: used %+v", round, u)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("round %d: no completion (device error %v)", round, f.Err())
		}
		if got := string(mem.Bytes[2048 : 2048+13]); got != "HELLO, DEVICE" {
			t.Fatalf("device wrote %q", got)
		}
	}
	if q.Free() != 64 || q.BadUsed() != 0 || f.Err() != nil || f.Acks() == 0 {
		t.Fatalf("free %d, bad used entries %d, device error %v, acks %d", q.Free(), q.BadUsed(), f.Err(), f.Acks())
	}
}

func TestQueueFull(t *testing.T) {
	f, d := open(t, virtio.FeatureVersion1, upper{})
	q, err := d.Queue(1, 4)
	if err != nil {
		t.Fatal(err)
	}
	mem, _ := f.AllocDMA(4096)
	b := []virtio.Buf{{Phys: mem.Phys, Len: 1}, {Phys: mem.Phys + 8, Len: 1, Write: true}}
	for i := 0; i < 2; i++ {
		if err := q.Add(b, i); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Add(b, 2); !errors.Is(err, virtio.ErrQueueFull) {
		t.Fatalf("third request in a 4-entry queue: %v", err)
	}
	if _, err := d.Queue(2, 4); !errors.Is(err, virtio.ErrNoQueue) {
		t.Fatalf("queue 2 of 2: %v", err)
	}
}

func TestParseCapsOfFake(t *testing.T) {
	f := virtiotest.New(virtio.DeviceIDNet, virtio.FeatureVersion1, make([]byte, 10), 2, 8, upper{})
	defer f.Close()
	cfg, _ := f.Config()
	c, err := virtio.ParseCaps(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if c.Device != virtio.DeviceIDNet || c.NotifyMult != 4 || c.DeviceCfg.Length != 10 || c.ISR.BAR != 4 {
		t.Fatalf("caps %+v", c)
	}
	cfg[0x41] = 0x40 // a list that loops
	if _, err := virtio.ParseCaps(cfg); err == nil {
		t.Fatal("a looping capability list parsed")
	}
}

// FuzzParseCaps feeds device-supplied configuration spaces to the parser,
// which must return an error rather than panic, and windows inside a BAR.
func FuzzParseCaps(f *testing.F) {
	fake := virtiotest.New(virtio.DeviceIDBlk, virtio.FeatureVersion1, make([]byte, 8), 1, 8, upper{})
	cfg, _ := fake.Config()
	fake.Close()
	f.Add(cfg)
	f.Fuzz(func(t *testing.T, cfg []byte) {
		c, err := virtio.ParseCaps(cfg)
		if err != nil {
			return
		}
		for _, w := range []virtio.Window{c.Common, c.Notify, c.ISR, c.DeviceCfg} {
			if w.BAR >= 6 || uint64(w.Offset)+uint64(w.Length) > 1<<32 {
				t.Fatalf("window %+v", w)
			}
		}
	})
}

// FuzzUsedRing lets the "device" write arbitrary used-ring contents after
// the driver made requests: Collect must only ever return tokens that
// are in flight, each once, and keep the free count consistent.
func FuzzUsedRing(f *testing.F) {
	f.Add(uint16(2), []byte{0, 0, 0, 0, 5, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0})
	f.Add(uint16(40), []byte{7, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, idx uint16, ring []byte) {
		fake := virtiotest.New(virtio.DeviceIDBlk, virtio.FeatureVersion1, nil, 1, 8, upper{})
		defer fake.Close()
		d, err := virtio.Open(fake, 0)
		if err != nil {
			t.Fatal(err)
		}
		q, err := d.Queue(0, 8)
		if err != nil {
			t.Fatal(err)
		}
		mem, ring0 := fakeRing(t, fake)
		for i := 0; i < 3; i++ {
			if err := q.Add([]virtio.Buf{{Phys: mem, Len: 1}, {Phys: mem, Len: 1, Write: true}}, 100+i); err != nil {
				t.Fatal(err)
			}
		}
		used := ring0[virtio.UsedOffset(8):]
		copy(used[4:4+8*8], ring)
		binary.LittleEndian.PutUint16(used[2:], idx)
		seen := map[int]bool{}
		for _, u := range q.Collect(nil) {
			if u.Token < 100 || u.Token > 102 || seen[u.Token] {
				t.Fatalf("token %d returned", u.Token)
			}
			seen[u.Token] = true
		}
		if q.Free() != 8-2*(3-len(seen)) {
			t.Fatalf("%d free after %d of 3 completed", q.Free(), len(seen))
		}
	})
}

// fakeRing returns a scratch DMA address and the ring memory of the only
// queue: the first allocation the driver made.
func fakeRing(t *testing.T, fake *virtiotest.Device) (uint64, []byte) {
	scratch, err := fake.AllocDMA(4096)
	if err != nil {
		t.Fatal(err)
	}
	return scratch.Phys, fake.Arena()
}
