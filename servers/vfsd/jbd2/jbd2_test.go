package jbd2

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"aramid/servers/vfsd/blockdev"
)

const (
	testBS     = 1024
	testBlocks = 200 // device size in blocks
)

// testExts places a journal of n blocks in two pieces, at device blocks
// 100.. and 30.., so that mapping is exercised.
func testExts(n uint64) []Extent {
	half := n / 2
	return []Extent{{Log: 0, Phys: 100, N: half}, {Log: half, Phys: 30, N: n - half}}
}

// newLog formats an empty journal of n blocks with the given features on
// a fresh device and opens it.
func newLog(t testing.TB, n uint64, incompat uint32) (*Journal, *blockdev.Mem) {
	t.Helper()
	dev := blockdev.NewMem(make([]byte, testBlocks*testBS))
	sb := make([]byte, sbLen)
	putHeader(sb, typeSuperV2, 0)
	be.PutUint32(sb[sbBlockSize:], testBS)
	be.PutUint32(sb[sbMaxLen:], uint32(n))
	be.PutUint32(sb[sbFirst:], 1)
	be.PutUint32(sb[sbSequence:], 7)
	copy(sb[sbUUID:], "0123456789abcdef")
	dev.WriteAt(sb, int64(testExts(n)[0].Phys)*testBS)
	j := reopen(t, dev, n)
	if err := j.Enable(incompat); err != nil {
		t.Fatal(err)
	}
	return j, dev
}

func reopen(t testing.TB, dev *blockdev.Mem, n uint64) *Journal {
	t.Helper()
	j, err := Open(dev, testBS, testExts(n), testBlocks)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func fill(home uint64, v byte) Block {
	b := bytes.Repeat([]byte{v}, testBS)
	b[100] = byte(home)
	return Block{Home: home, Data: b}
}

func home(dev *blockdev.Mem, n uint64) []byte {
	b := make([]byte, testBS)
	dev.ReadAt(b, int64(n)*testBS)
	return b
}

var formats = []struct {
	name     string
	incompat uint32
}{
	{"32bit", FeatureRevoke},
	{"64bit", FeatureRevoke | Feature64Bit},
	{"csum3", FeatureRevoke | FeatureCsumV3},
	{"csum3-64bit", FeatureRevoke | Feature64Bit | FeatureCsumV3},
}

// TestCommitRecover: committed transactions are replayed in order, a
// revoke suppresses older copies but not newer ones, and a transaction
// without its commit block is not replayed.
func TestCommitRecover(t *testing.T) {
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			j, dev := newLog(t, 64, f.incompat)
			must(t, j.Commit([]Block{fill(10, 1), fill(11, 1), fill(12, 1)}, nil))
			must(t, j.Commit([]Block{fill(11, 2)}, []uint64{12, 13}))
			must(t, j.Commit([]Block{fill(13, 3)}, nil))
			must(t, j.Commit([]Block{fill(14, 4)}, nil))
			// Tear the fourth transaction: its commit block never landed.
			off, _ := j.offset(j.head - 1)
			dev.WriteAt(make([]byte, testBS), off)

			j = reopen(t, dev, 64)
			if !j.NeedsRecovery() {
				t.Fatal("a log with transactions does not need recovery")
			}
			if err := j.Commit([]Block{fill(15, 5)}, nil); err == nil {
				t.Fatal("Commit before Recover succeeded")
			}
			st, err := j.Recover()
			must(t, err)
			want := Stats{Transactions: 3, Blocks: 4, Revoked: 1}
			if st != want {
				t.Errorf("stats %+v, want %+v", st, want)
			}
			for _, c := range []struct {
				n uint64
				v byte
			}{{10, 1}, {11, 2}, {13, 3}, {12, 0}, {14, 0}} {
				want := fill(c.n, c.v).Data
				if c.v == 0 {
					want = make([]byte, testBS)
				}
				if !bytes.Equal(home(dev, c.n), want) {
					t.Errorf("block %d after recovery is not version %d", c.n, c.v)
				}
			}
			j = reopen(t, dev, 64)
			// Transactions 7-9 committed; 10 was torn and its ID is skipped.
			if j.NeedsRecovery() || j.seq != 11 {
				t.Errorf("after recovery: needs %v, sequence %d", j.NeedsRecovery(), j.seq)
			}
		})
	}
}

// TestEscape: a block that starts with the journal magic is logged
// escaped and replayed intact.
func TestEscape(t *testing.T) {
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			j, dev := newLog(t, 32, f.incompat)
			b := fill(20, 9)
			be.PutUint32(b.Data, Magic)
			be.PutUint32(b.Data[4:], typeCommit)
			must(t, j.Commit([]Block{b, fill(21, 8)}, nil))
			j = reopen(t, dev, 32)
			st, err := j.Recover()
			must(t, err)
			if st.Blocks != 2 || !bytes.Equal(home(dev, 20), b.Data) {
				t.Errorf("escaped block not replayed intact (%+v)", st)
			}
		})
	}
}

// TestWrap: transactions that wrap past the end of the log, and many
// descriptor blocks in one transaction, replay correctly.
func TestWrap(t *testing.T) {
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			j, dev := newLog(t, 40, f.incompat)
			for round := 0; round < 5; round++ {
				var blocks []Block
				for k := uint64(0); k < 9; k++ {
					blocks = append(blocks, fill(10+k, byte(round+1)))
				}
				if err := j.Commit(blocks, nil); errors.Is(err, ErrFull) {
					must(t, j.Checkpoint())
					must(t, j.Commit(blocks, nil))
				} else {
					must(t, err)
				}
			}
			for k := uint64(10); k < 19; k++ {
				dev.WriteAt(make([]byte, testBS), int64(k)*testBS)
			}
			j = reopen(t, dev, 40)
			_, err := j.Recover()
			must(t, err)
			for k := uint64(10); k < 19; k++ {
				if !bytes.Equal(home(dev, k), fill(k, 5).Data) {
					t.Fatalf("block %d not the last version", k)
				}
			}
		})
	}
	j, _ := newLog(t, 300, FeatureCsumV3)
	var many []Block
	for k := uint64(0); k < 150; k++ {
		many = append(many, fill(k, 1))
	}
	if got, want := j.Needed(150, 0), 150+3+1; got != want {
		t.Errorf("Needed(150, 0) = %d, want %d", got, want)
	}
	must(t, j.Commit(many, nil))
}

// TestChecksums: with checksums v3, a damaged logged block is skipped and
// a damaged commit block ends the log.
func TestChecksums(t *testing.T) {
	j, dev := newLog(t, 32, FeatureCsumV3)
	must(t, j.Commit([]Block{fill(10, 1), fill(11, 1)}, nil))
	must(t, j.Commit([]Block{fill(12, 2)}, nil))
	data, _ := j.offset(2) // the first logged block of the first transaction
	dev.WriteAt([]byte{0xEE}, data+5)
	commit, _ := j.offset(j.head - 1)
	dev.WriteAt([]byte{0xEE}, commit+0x40)
	j = reopen(t, dev, 32)
	st, err := j.Recover()
	must(t, err)
	if want := (Stats{Transactions: 1, Blocks: 1, Skipped: 1}); st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
	if !bytes.Equal(home(dev, 11), fill(11, 1).Data) {
		t.Error("the undamaged block of the first transaction was not replayed")
	}
}

// TestOpenRefuses: unknown features and bad geometry are errors.
func TestOpenRefuses(t *testing.T) {
	for _, c := range []struct {
		off int
		v   uint32
	}{
		{sbIncompat, FeatureFastCommit},
		{sbIncompat, FeatureCsumV2},
		{sbCompat, 1},
		{sbBlockSize, 4096},
		{sbFirst, 0},
		{sbMaxLen, 1000},
		{sbStart, 5000},
	} {
		t.Run(fmt.Sprintf("%#x=%d", c.off, c.v), func(t *testing.T) {
			_, dev := newLog(t, 32, 0)
			b := make([]byte, 4)
			be.PutUint32(b, c.v)
			dev.WriteAt(b, 100*testBS+int64(c.off))
			if _, err := Open(dev, testBS, testExts(32), testBlocks); err == nil {
				t.Error("Open succeeded")
			}
		})
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// FuzzRecover patches a log of three transactions (one with a revoke and
// an escaped block) and recovers it: errors are fine, panics, hangs and
// writes past the device are not.
func FuzzRecover(f *testing.F) {
	for _, in := range []uint32{0, FeatureCsumV3 | Feature64Bit} {
		f.Add(in, uint16(2*testBS), []byte{0xff})
		f.Add(in, uint16(sbStart), []byte{0, 0, 0, 9})
		f.Add(in, uint16(3*testBS+12), []byte{0xff, 0xff, 0xff, 0xff})
	}
	f.Fuzz(func(t *testing.T, incompat uint32, off uint16, patch []byte) {
		j, dev := newLog(t, 24, incompat&supported)
		b := fill(10, 1)
		be.PutUint32(b.Data, Magic)
		must(t, j.Commit([]Block{b, fill(11, 1)}, nil))
		must(t, j.Commit([]Block{fill(12, 2)}, []uint64{10}))
		must(t, j.Commit([]Block{fill(13, 3)}, nil))
		// The journal's first piece is device blocks 100..111.
		dev.WriteAt(patch[:min(len(patch), 64)], 100*testBS+int64(off)%(12*testBS))
		j, err := Open(dev, testBS, testExts(24), testBlocks)
		if err != nil {
			return
		}
		j.Recover()
		if n, _ := dev.Size(); n != testBlocks*testBS {
			t.Fatalf("recovery wrote past the device: %d bytes", n)
		}
	})
}
