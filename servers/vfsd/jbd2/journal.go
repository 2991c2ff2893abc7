package jbd2

import (
	"errors"
	"fmt"
	"io"

	"aramid/servers/vfsd/blockdev"
)

// Extent maps journal blocks [Log, Log+N) to device blocks [Phys, Phys+N).
type Extent struct {
	Log, Phys, N uint64
}

// Journal is an open journal. It is not safe for concurrent use; the
// filesystem serialises commits.
type Journal struct {
	dev   blockdev.Device
	exts  []Extent
	limit uint64 // device blocks: logged blocks must lie below it
	f     format
	sb    []byte // the superblock (first sbLen bytes of journal block 0)
	first uint32 // the log is journal blocks [first, last)
	last  uint32

	seq  uint32 // ID of the next transaction
	head uint32 // where the next transaction starts
	tail uint32 // first block of the oldest transaction in the log; 0 if the log is empty
	// unrecovered is set while the log holds transactions from before
	// Open that Recover has not replayed.
	unrecovered bool
}

// Open reads the journal superblock of the journal mapped by exts on dev,
// whose blocks are bs bytes; limit is the device's size in blocks.
func Open(dev blockdev.Device, bs int, exts []Extent, limit uint64) (*Journal, error) {
	j := &Journal{dev: dev, exts: exts, limit: limit, f: format{bs: bs}}
	blk := make([]byte, bs)
	if bs < sbLen || j.readLog(0, blk) != nil {
		return nil, ErrCorrupt
	}
	j.sb = blk[:sbLen]
	h, ok := readHeader(j.sb)
	if !ok || h.typ != typeSuperV1 && h.typ != typeSuperV2 {
		return nil, ErrCorrupt
	}
	if h.typ == typeSuperV1 {
		clear(j.sb[sbCompat:sbUUID])
	}
	if j.u32(sbBlockSize) != uint32(bs) {
		return nil, fmt.Errorf("%w: journal block size %d, filesystem %d", ErrUnsupported, j.u32(sbBlockSize), bs)
	}
	if j.u32(sbCompat) != 0 || j.u32(sbROCompat) != 0 || j.u32(sbIncompat)&^supported != 0 {
		return nil, fmt.Errorf("%w: features %#x/%#x/%#x", ErrUnsupported, j.u32(sbCompat), j.u32(sbIncompat), j.u32(sbROCompat))
	}
	// The log wraps at the end of the journal. Linux and e2fsck keep a
	// fast-commit area at the end only while the fast-commit feature
	// (refused above) is on, so without it they wrap there too.
	j.first, j.last = j.u32(sbFirst), j.u32(sbMaxLen)
	if j.first == 0 || j.first+2 >= j.last || uint64(j.u32(sbMaxLen)) > mapped(exts) {
		return nil, ErrCorrupt
	}
	j.setFormat()
	if j.f.csum && j.u32(sbChecksum) != j.sbCsum() {
		return nil, fmt.Errorf("%w: superblock checksum", ErrCorrupt)
	}
	j.seq, j.tail = j.u32(sbSequence), j.u32(sbStart)
	if j.tail != 0 && (j.tail < j.first || j.tail >= j.last) {
		return nil, ErrCorrupt
	}
	j.head, j.unrecovered = j.first, j.tail != 0
	return j, nil
}

func mapped(exts []Extent) uint64 {
	var n uint64
	for _, e := range exts {
		n += e.N
	}
	return n
}

func (j *Journal) u32(off int) uint32 { return be.Uint32(j.sb[off:]) }

func (j *Journal) setFormat() {
	in := j.u32(sbIncompat)
	j.f.csum = in&FeatureCsumV3 != 0
	j.f.is64 = in&Feature64Bit != 0
	j.f.seed = crc32c(^uint32(0), j.sb[sbUUID:sbUUID+16])
}

func (j *Journal) sbCsum() uint32 {
	c := crc32c(^uint32(0), j.sb[:sbChecksum])
	c = crc32c(c, []byte{0, 0, 0, 0})
	return crc32c(c, j.sb[sbChecksum+4:])
}

// NeedsRecovery reports whether the log holds transactions.
func (j *Journal) NeedsRecovery() bool { return j.tail != 0 }

// Enable turns on incompatible features (those Linux sets when it mounts:
// 64-bit block numbers, checksums v3, revoke) and writes the superblock.
// The log must be empty.
func (j *Journal) Enable(incompat uint32) error {
	if incompat&^supported != 0 || j.tail != 0 {
		return ErrUnsupported
	}
	be.PutUint32(j.sb[sbIncompat:], j.u32(sbIncompat)|incompat)
	if incompat&FeatureCsumV3 != 0 {
		j.sb[sbChecksumType] = csumTypeCRC32C
	}
	j.setFormat()
	return j.writeSuper()
}

// writeSuper stores the superblock with the current tail and sequence.
func (j *Journal) writeSuper() error {
	be.PutUint32(j.sb[sbStart:], j.tail)
	be.PutUint32(j.sb[sbSequence:], j.seq)
	if j.f.csum {
		be.PutUint32(j.sb[sbChecksum:], j.sbCsum())
	}
	off, err := j.offset(0)
	if err != nil {
		return err
	}
	_, err = j.dev.WriteAt(j.sb, off)
	return err
}

// offset is the device byte offset of journal block n.
func (j *Journal) offset(n uint32) (int64, error) {
	for _, e := range j.exts {
		if uint64(n) >= e.Log && uint64(n) < e.Log+e.N {
			return int64(e.Phys+uint64(n)-e.Log) * int64(j.f.bs), nil
		}
	}
	return 0, ErrCorrupt
}

func (j *Journal) readLog(n uint32, b []byte) error {
	off, err := j.offset(n)
	if err != nil {
		return err
	}
	if k, err := j.dev.ReadAt(b, off); k != len(b) {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	return nil
}

func (j *Journal) writeLog(n uint32, b []byte) error {
	off, err := j.offset(n)
	if err != nil {
		return err
	}
	_, err = j.dev.WriteAt(b, off)
	return err
}

// next is the log block after n, wrapping from the end to the start.
func (j *Journal) next(n uint32) uint32 {
	if n+1 >= j.last {
		return j.first
	}
	return n + 1
}

// logLen is the number of blocks in the log.
func (j *Journal) logLen() uint32 { return j.last - j.first }

// Free is the number of log blocks a transaction may use now.
func (j *Journal) Free() int {
	if j.tail == 0 {
		return int(j.logLen()) - 1
	}
	used := (j.head + j.logLen() - j.tail) % j.logLen()
	return int(j.logLen()-used) - 1
}

// Capacity is the number of log blocks an empty log offers.
func (j *Journal) Capacity() int { return int(j.logLen()) - 1 }
