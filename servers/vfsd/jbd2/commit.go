package jbd2

import (
	"errors"
	"time"
)

// ErrFull is returned by Commit when the transaction does not fit in the
// free part of the log; checkpoint and retry, or write it without the
// journal.
var ErrFull = errors.New("jbd2: transaction does not fit in the log")

// Block is a block to log: its home block number and its contents (one
// journal block long).
type Block struct {
	Home uint64
	Data []byte
}

// Needed is the number of log blocks a transaction of n blocks and r
// revocations takes.
func (j *Journal) Needed(n, r int) int {
	per, rper := j.f.tagsPerDescriptor(), j.f.recordsPerRevoke()
	return (r+rper-1)/rper + (n+per-1)/per + n + 1
}

// Commit writes a transaction: its revoke blocks, then descriptor blocks
// each followed by the blocks it describes; then it flushes the device,
// which also makes durable every block the caller wrote before (ordered
// mode: file data reaches the disk before the metadata that points to
// it commits); then it writes the commit block (and the superblock, if
// the log was empty, so that recovery starts here) and flushes again.
// When Commit returns the transaction is durable and its blocks may be
// written home; they must not be before.
func (j *Journal) Commit(blocks []Block, revoked []uint64) error {
	if j.unrecovered {
		return ErrUnsupported
	}
	if j.Needed(len(blocks), len(revoked)) > j.Free() {
		return ErrFull
	}
	for _, b := range blocks {
		if len(b.Data) != j.f.bs {
			return errors.New("jbd2: logged block of the wrong size")
		}
	}
	start, pos := j.head, j.head
	put := func(b []byte) error {
		err := j.writeLog(pos, b)
		pos = j.next(pos)
		return err
	}
	for len(revoked) > 0 {
		n := min(len(revoked), j.f.recordsPerRevoke())
		if err := put(j.revokeBlock(revoked[:n])); err != nil {
			return err
		}
		revoked = revoked[n:]
	}
	for len(blocks) > 0 {
		n := min(len(blocks), j.f.tagsPerDescriptor())
		descPos := pos
		pos = j.next(pos)
		desc := make([]byte, j.f.bs)
		putHeader(desc, typeDescriptor, j.seq)
		off := headerLen
		for i, b := range blocks[:n] {
			t, data := j.tagFor(b, i == 0, i == n-1)
			off = j.f.putTag(desc, off, t, j.sb[sbUUID:sbUUID+16])
			if err := put(data); err != nil {
				return err
			}
		}
		j.f.setBlockCsum(desc)
		if err := j.writeLog(descPos, desc); err != nil {
			return err
		}
		blocks = blocks[n:]
	}
	if err := j.dev.Flush(); err != nil {
		return err
	}
	if err := put(j.commitBlock()); err != nil {
		return err
	}
	if j.tail == 0 {
		j.tail = start
		if err := j.writeSuper(); err != nil {
			return err
		}
	}
	if err := j.dev.Flush(); err != nil {
		return err
	}
	j.head = pos
	j.seq++
	return nil
}

// tagFor returns the tag of b and the contents to log, escaped if they
// start with the journal magic.
func (j *Journal) tagFor(b Block, first, last bool) (tag, []byte) {
	t, data := tag{home: b.Home}, b.Data
	if be.Uint32(data) == Magic {
		data = append([]byte(nil), data...)
		clear(data[:4])
		t.flags |= flagEscape
	}
	if !first {
		t.flags |= flagSameUUID
	}
	if last {
		t.flags |= flagLastTag
	}
	if j.f.csum {
		t.csum = j.f.tagCsum(j.seq, data)
	}
	return t, data
}

func (j *Journal) revokeBlock(homes []uint64) []byte {
	b := make([]byte, j.f.bs)
	putHeader(b, typeRevoke, j.seq)
	off := revokeHdrLen
	for _, h := range homes {
		if j.f.is64 {
			be.PutUint64(b[off:], h)
		} else {
			be.PutUint32(b[off:], uint32(h))
		}
		off += j.f.recordSize()
	}
	be.PutUint32(b[headerLen:], uint32(off))
	j.f.setBlockCsum(b)
	return b
}

func (j *Journal) commitBlock() []byte {
	b := make([]byte, j.f.bs)
	putHeader(b, typeCommit, j.seq)
	now := time.Now()
	be.PutUint64(b[commitSecOff:], uint64(now.Unix()))
	be.PutUint32(b[commitNsecOff:], uint32(now.Nanosecond()))
	if j.f.csum {
		be.PutUint32(b[commitCsumOff:], j.f.commitCsum(b))
	}
	return b
}

// Checkpoint marks the log empty. The caller must first have written
// every committed block home and flushed the device.
func (j *Journal) Checkpoint() error {
	if j.tail == 0 {
		return nil
	}
	j.tail = 0
	if err := j.writeSuper(); err != nil {
		return err
	}
	return j.dev.Flush()
}
