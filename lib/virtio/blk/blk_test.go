package blk_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"aramid/lib/virtio"
	"aramid/lib/virtio/blk"
	"aramid/lib/virtio/virtiotest"
	"aramid/servers/vfsd/blockdev"
	"aramid/servers/vfsd/ext4"
)

var (
	_ blockdev.Device = (*blk.Device)(nil)
	_ blockdev.Sizer  = (*blk.Device)(nil)
)

// disk is a fake virtio-blk backend over a byte slice.
type disk struct {
	mu      sync.Mutex
	img     []byte
	bad     int64 // a sector that fails with IOERR; -1 for none
	flushes int
	writes  int // writes since the last flush
}

func (k *disk) Process(q int, req []virtiotest.Seg) (uint32, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	hdr, status := req[0].Data, req[len(req)-1].Data
	typ, sector := binary.LittleEndian.Uint32(hdr), int64(binary.LittleEndian.Uint64(hdr[8:]))
	status[0] = 0
	written := uint32(1)
	switch {
	case typ == 4:
		k.flushes++
		k.writes = 0
	case len(req) != 3 || sector == k.bad || sector*512+int64(len(req[1].Data)) > int64(len(k.img)):
		status[0] = 1
	case typ == 0:
		written += uint32(copy(req[1].Data, k.img[sector*512:]))
	case typ == 1:
		copy(k.img[sector*512:], req[1].Data)
		k.writes++
	default:
		status[0] = 2
	}
	return written, true
}

func newDisk(t *testing.T, size int, features uint64) (*disk, *virtiotest.Device, *blk.Device) {
	t.Helper()
	k := &disk{img: make([]byte, size), bad: -1}
	rand.New(rand.NewSource(1)).Read(k.img)
	cfg := make([]byte, 24)
	binary.LittleEndian.PutUint64(cfg, uint64(size/512))
	f := virtiotest.New(virtio.DeviceIDBlk, virtio.FeatureVersion1|features, cfg, 1, 128, k)
	t.Cleanup(f.Close)
	d, err := blk.Open(f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return k, f, d
}

const flush = 1 << 9

// TestMatchesMemory runs random aligned and unaligned reads and writes on
// the driver and on an in-memory device, from several goroutines on
// disjoint regions, and compares.
func TestMatchesMemory(t *testing.T) {
	const size = 4 << 20
	k, f, d := newDisk(t, size, flush)
	mirror := blockdev.NewMem(k.img)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			r := rand.New(rand.NewSource(int64(g)))
			base := int64(g) * size / 4
			for i := 0; i < 60; i++ {
				off := base + r.Int63n(size/4-300<<10)
				n := r.Intn(300 << 10)
				if r.Intn(2) == 0 {
					off, n = off&^511, n&^511
				}
				buf := make([]byte, n)
				if r.Intn(2) == 0 {
					r.Read(buf)
					if _, err := d.WriteAt(buf, off); err != nil {
						t.Error(err)
						return
					}
					mirror.WriteAt(buf, off)
					continue
				}
				want := make([]byte, n)
				mirror.ReadAt(want, off)
				if _, err := d.ReadAt(buf, off); err != nil || !bytes.Equal(buf, want) {
					t.Errorf("read %d at %d: %v, equal %v", n, off, err, bytes.Equal(buf, want))
					return
				}
			}
		}(g)
	}
	wg.Wait()
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k.img, mirror.Bytes()) {
		t.Fatal("disk differs from the mirror")
	}
	if f.Err() != nil {
		t.Fatal(f.Err())
	}
}

// TestInFlight checks that one large read is issued as several requests
// at once.
func TestInFlight(t *testing.T) {
	_, f, d := newDisk(t, 2<<20, 0)
	buf := make([]byte, 1<<20)
	if _, err := d.ReadAt(buf, 0); err != nil {
		t.Fatal(err)
	}
	if f.MaxPending() < 8 {
		t.Fatalf("at most %d requests pending at the device", f.MaxPending())
	}
}

func TestFlush(t *testing.T) {
	k, _, d := newDisk(t, 1<<20, flush)
	if _, err := d.WriteAt([]byte("durable"), 4096); err != nil {
		t.Fatal(err)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	if k.flushes != 1 || k.writes != 0 {
		t.Fatalf("%d flushes, %d writes after the last", k.flushes, k.writes)
	}
}

func TestEOFAndSize(t *testing.T) {
	k, _, d := newDisk(t, 1<<20, 0)
	if n, _ := d.Size(); n != 1<<20 {
		t.Fatalf("size %d", n)
	}
	buf := make([]byte, 1000)
	n, err := d.ReadAt(buf, 1<<20-100)
	if n != 100 || err != io.EOF || !bytes.Equal(buf[:100], k.img[1<<20-100:]) {
		t.Fatalf("read across the end: %d, %v", n, err)
	}
	if _, err := d.WriteAt(buf, 1<<20-100); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("write across the end: %v", err)
	}
}

func TestReadOnly(t *testing.T) {
	_, f, d := newDisk(t, 1<<20, 1<<5)
	if !d.ReadOnly() {
		t.Fatal("RO feature not seen")
	}
	if _, err := d.WriteAt(make([]byte, 512), 0); !errors.Is(err, syscall.EROFS) {
		t.Fatalf("write to a read-only disk: %v", err)
	}
	if f.DriverFeatures()&(1<<5) == 0 {
		t.Fatal("driver did not accept RO")
	}
}

// TestDeviceError checks that a failed request is EIO and that the
// driver goes on serving.
func TestDeviceError(t *testing.T) {
	k, _, d := newDisk(t, 1<<20, 0)
	k.mu.Lock()
	k.bad = 8
	k.mu.Unlock()
	buf := make([]byte, 512)
	if _, err := d.ReadAt(buf, 8*512); !errors.Is(err, syscall.EIO) {
		t.Fatalf("read of a bad sector: %v", err)
	}
	if _, err := d.ReadAt(buf, 9*512); err != nil || !bytes.Equal(buf, k.img[9*512:10*512]) {
		t.Fatalf("read after the error: %v", err)
	}
}

// TestExt4OnDriver mounts an image made by mke2fs through the driver and
// reads a file back, the way vfsd uses it.
func TestExt4OnDriver(t *testing.T) {
	if _, err := exec.LookPath("mke2fs"); err != nil {
		t.Skip("no mke2fs")
	}
	dir := t.TempDir()
	want := make([]byte, 200000)
	rand.New(rand.NewSource(2)).Read(want)
	os.Mkdir(filepath.Join(dir, "src"), 0o755)
	os.WriteFile(filepath.Join(dir, "src", "f"), want, 0o644)
	img := filepath.Join(dir, "img")
	if out, err := exec.Command("mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096", "-d", filepath.Join(dir, "src"), img, "16M").CombinedOutput(); err != nil {
		t.Fatalf("mke2fs: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	k, _, d := newDisk(t, len(raw), flush)
	copy(k.img, raw)
	e, err := ext4.Open(d, ext4.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ino, err := e.Lookup(e.Root(), "f")
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(want))
	if n, err := e.ReadAt(ino, got, 0); n != len(want) || !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes (%v), equal %v", n, err, bytes.Equal(got, want))
	}
}
