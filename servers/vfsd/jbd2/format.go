// Package jbd2 reads, replays and writes the journal of an ext4
// filesystem in the on-disk format of Linux's jbd2 (journal superblock
// v2, descriptor, commit and revoke blocks, checksums v3), so that a
// journal written here is replayed by Linux and e2fsck and one left by
// them is replayed here.
//
// The package knows nothing of ext4: the journal is a run of blocks of a
// device, mapped by extents, and the blocks it logs are named by their
// home block numbers on the same device. Every field is big-endian, as
// jbd2's are. All journal contents are untrusted: parsing never panics
// and every scan is bounded by the journal's length.
package jbd2

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
)

var be = binary.BigEndian

// Magic starts every journal metadata block; a logged block that starts
// with it is stored escaped (its first four bytes zeroed).
const Magic = 0xC03B3998

// Block types (h_blocktype).
const (
	typeDescriptor = 1
	typeCommit     = 2
	typeSuperV1    = 3
	typeSuperV2    = 4
	typeRevoke     = 5
)

// Incompatible journal features.
const (
	FeatureRevoke      = 0x1
	Feature64Bit       = 0x2
	FeatureAsyncCommit = 0x4
	FeatureCsumV2      = 0x8
	FeatureCsumV3      = 0x10
	FeatureFastCommit  = 0x20
)

// supported lists the incompatible features this package reads and
// writes: checksums v3 only (what Linux uses with metadata_csum); v1 and
// v2 checksums, async commit and fast commits are refused.
const supported = FeatureRevoke | Feature64Bit | FeatureCsumV3

// Journal superblock offsets (journal_superblock_t).
const (
	sbBlockSize    = 0x0C
	sbMaxLen       = 0x10
	sbFirst        = 0x14
	sbSequence     = 0x18
	sbStart        = 0x1C
	sbCompat       = 0x24
	sbIncompat     = 0x28
	sbROCompat     = 0x2C
	sbUUID         = 0x30
	sbChecksumType = 0x50
	sbChecksum     = 0xFC
	sbLen          = 1024
)

// Tag flags.
const (
	flagEscape   = 0x1
	flagSameUUID = 0x2
	flagLastTag  = 0x8
)

const (
	headerLen      = 12
	revokeHdrLen   = 16
	tailLen        = 4 // descriptor and revoke block checksum, with csum v3
	commitCsumOff  = 0x10
	commitSecOff   = 0x30
	commitNsecOff  = 0x38
	csumTypeCRC32C = 4
)

// ErrUnsupported is returned for journals this package cannot handle.
var ErrUnsupported = errors.New("jbd2: unsupported journal")

// ErrCorrupt is returned for journal superblocks that make no sense.
var ErrCorrupt = errors.New("jbd2: corrupt journal superblock")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// crc32c is the kernel's unfinalised crc32c, which jbd2 chains from a
// seed (crc32c of the journal UUID).
func crc32c(crc uint32, p []byte) uint32 { return ^crc32.Update(^crc, castagnoli, p) }

// header is the common start of journal metadata blocks.
type header struct {
	typ, seq uint32
}

func readHeader(b []byte) (header, bool) {
	if len(b) < headerLen || be.Uint32(b) != Magic {
		return header{}, false
	}
	return header{typ: be.Uint32(b[4:]), seq: be.Uint32(b[8:])}, true
}

func putHeader(b []byte, typ, seq uint32) {
	be.PutUint32(b, Magic)
	be.PutUint32(b[4:], typ)
	be.PutUint32(b[8:], seq)
}

// format is what the feature flags say about block layouts.
type format struct {
	bs   int
	csum bool   // checksums v3
	is64 bool   // 64-bit block numbers
	seed uint32 // crc32c of the journal UUID
}

// tagSize is the size of a descriptor tag, without the UUID that follows
// the first tag of a descriptor.
func (f format) tagSize() int {
	switch {
	case f.csum:
		return 16
	case f.is64:
		return 12
	}
	return 8
}

func (f format) recordSize() int {
	if f.is64 {
		return 8
	}
	return 4
}

func (f format) tail() int {
	if f.csum {
		return tailLen
	}
	return 0
}

// tagsPerDescriptor is how many tags always fit in one descriptor block.
func (f format) tagsPerDescriptor() int {
	return (f.bs - headerLen - 16 - f.tail()) / f.tagSize()
}

func (f format) recordsPerRevoke() int {
	return (f.bs - revokeHdrLen - f.tail()) / f.recordSize()
}

// blockCsumOK verifies the tail checksum of a descriptor or revoke block.
func (f format) blockCsumOK(b []byte) bool {
	if !f.csum {
		return true
	}
	return be.Uint32(b[len(b)-tailLen:]) == f.blockCsum(b)
}

func (f format) blockCsum(b []byte) uint32 {
	c := crc32c(f.seed, b[:len(b)-tailLen])
	return crc32c(c, []byte{0, 0, 0, 0})
}

func (f format) setBlockCsum(b []byte) {
	if f.csum {
		be.PutUint32(b[len(b)-tailLen:], f.blockCsum(b))
	}
}

// commitCsum is crc32c over the commit block with its checksum zeroed.
func (f format) commitCsum(b []byte) uint32 {
	c := crc32c(f.seed, b[:commitCsumOff])
	c = crc32c(c, []byte{0, 0, 0, 0})
	return crc32c(c, b[commitCsumOff+4:])
}

// tagCsum is the v3 checksum of a logged block: the sequence, then the
// block as it is stored in the log.
func (f format) tagCsum(seq uint32, data []byte) uint32 {
	var s [4]byte
	be.PutUint32(s[:], seq)
	return crc32c(crc32c(f.seed, s[:]), data)
}

// tag is one entry of a descriptor block.
type tag struct {
	home  uint64
	flags uint32
	csum  uint32
}

// parseTags reads the tags of descriptor block b, up to the one flagged
// last or the end of the block.
func (f format) parseTags(b []byte) (tags []tag) {
	off, end := headerLen, len(b)-f.tail()
	for off+f.tagSize() <= end {
		t := tag{home: uint64(be.Uint32(b[off:]))}
		if f.csum {
			t.flags = be.Uint32(b[off+4:])
			if f.is64 {
				t.home |= uint64(be.Uint32(b[off+8:])) << 32
			}
			t.csum = be.Uint32(b[off+12:])
		} else {
			t.flags = uint32(be.Uint16(b[off+6:]))
			if f.is64 {
				t.home |= uint64(be.Uint32(b[off+8:])) << 32
			}
		}
		tags = append(tags, t)
		off += f.tagSize()
		if t.flags&flagSameUUID == 0 {
			off += 16
		}
		if t.flags&flagLastTag != 0 {
			break
		}
	}
	return tags
}

// putTag writes t at b[off:] and returns the offset after it (and after
// the UUID if the tag carries one).
func (f format) putTag(b []byte, off int, t tag, uuid []byte) int {
	be.PutUint32(b[off:], uint32(t.home))
	if f.csum {
		be.PutUint32(b[off+4:], t.flags)
		be.PutUint32(b[off+8:], uint32(t.home>>32))
		be.PutUint32(b[off+12:], t.csum)
	} else {
		be.PutUint16(b[off+6:], uint16(t.flags))
		if f.is64 {
			be.PutUint32(b[off+8:], uint32(t.home>>32))
		}
	}
	off += f.tagSize()
	if t.flags&flagSameUUID == 0 {
		off += copy(b[off:], uuid)
	}
	return off
}

// parseRevoke returns the block numbers revoked by revoke block b.
func (f format) parseRevoke(b []byte) []uint64 {
	n := int(be.Uint32(b[headerLen:]))
	if n > len(b)-f.tail() {
		n = len(b) - f.tail()
	}
	var out []uint64
	for off := revokeHdrLen; off+f.recordSize() <= n; off += f.recordSize() {
		if f.is64 {
			out = append(out, be.Uint64(b[off:]))
		} else {
			out = append(out, uint64(be.Uint32(b[off:])))
		}
	}
	return out
}
