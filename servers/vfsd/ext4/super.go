package ext4

import (
	"encoding/binary"
	"fmt"
	"syscall"
)

var le = binary.LittleEndian

// Superblock field offsets (struct ext4_super_block).
const (
	sbInodesCount     = 0x0
	sbBlocksCountLo   = 0x4
	sbRBlocksCountLo  = 0x8
	sbFreeBlocksLo    = 0xC
	sbFreeInodes      = 0x10
	sbFirstDataBlock  = 0x14
	sbLogBlockSize    = 0x18
	sbLogClusterSize  = 0x1C
	sbBlocksPerGroup  = 0x20
	sbInodesPerGroup  = 0x28
	sbWtime           = 0x30
	sbMagic           = 0x38
	sbRevLevel        = 0x4C
	sbFirstIno        = 0x54
	sbInodeSize       = 0x58
	sbFeatureCompat   = 0x5C
	sbFeatureIncompat = 0x60
	sbFeatureRoCompat = 0x64
	sbUUID            = 0x68
	sbReservedGDT     = 0xCE
	sbJournalInum     = 0xE0
	sbDescSize        = 0xFE
	sbBlocksCountHi   = 0x150
	sbRBlocksCountHi  = 0x154
	sbFreeBlocksHi    = 0x158
	sbWantExtraIsize  = 0x15E
	sbBackupBGs       = 0x24C
	sbChecksumSeed    = 0x270
	sbChecksum        = 0x3FC
	sbSize            = 1024
	sbMagicValue      = 0xEF53
)

// Feature bits.
const (
	compatHasJournal   = 0x4
	compatSparseSuper2 = 0x200

	incompatFiletype    = 0x2
	incompatRecover     = 0x4
	incompatJournalDev  = 0x8
	incompatMetaBG      = 0x10
	incompatExtents     = 0x40
	incompat64bit       = 0x80
	incompatMMP         = 0x100
	incompatFlexBG      = 0x200
	incompatEAInode     = 0x400
	incompatDirData     = 0x1000
	incompatCsumSeed    = 0x2000
	incompatLargeDir    = 0x4000
	incompatInlineData  = 0x8000
	incompatEncrypt     = 0x10000
	incompatCasefold    = 0x20000
	roCompatSparseSuper = 0x1
	roCompatLargeFile   = 0x2
	roCompatHugeFile    = 0x8
	roCompatGdtCsum     = 0x10
	roCompatDirNlink    = 0x20
	roCompatExtraIsize  = 0x40
	roCompatQuota       = 0x100
	roCompatBigalloc    = 0x200
	roCompatMetaCsum    = 0x400
	roCompatReadonly    = 0x1000
	roCompatProject     = 0x2000
	roCompatVerity      = 0x8000
	roCompatOrphanPres  = 0x10000
)

// incompatRead lists the incompat features this engine understands well
// enough to read; anything else makes Open fail.
const incompatRead = incompatFiletype | incompatRecover | incompatMetaBG | incompatExtents |
	incompat64bit | incompatMMP | incompatFlexBG | incompatEAInode |
	incompatCsumSeed | incompatLargeDir | incompatInlineData

// incompatWrite and roCompatWrite list the features this engine keeps
// consistent when it writes; an image with any other feature is mounted
// read-only. Quota is excluded because quota files would go stale; MMP
// because we do not run the multi-mount protection protocol; meta_bg
// because its descriptor placement is not implemented for allocation.
const (
	incompatWrite = incompatFiletype | incompatRecover | incompatExtents | incompat64bit |
		incompatFlexBG | incompatEAInode | incompatCsumSeed | incompatLargeDir |
		incompatInlineData
	roCompatWrite = roCompatSparseSuper | roCompatLargeFile | 0x4 /* btree_dir */ |
		roCompatHugeFile | roCompatGdtCsum | roCompatDirNlink | roCompatExtraIsize |
		roCompatMetaCsum | roCompatProject
)

// MountError explains why an image cannot be mounted (or mounted
// read-write). It unwraps to a syscall.Errno.
type MountError struct {
	Reason string
	Errno  syscall.Errno
}

func (e *MountError) Error() string { return "ext4: " + e.Reason }

// Unwrap returns the errno.
func (e *MountError) Unwrap() error { return e.Errno }

func mountErr(errno syscall.Errno, format string, args ...any) error {
	return &MountError{Reason: fmt.Sprintf(format, args...), Errno: errno}
}

// superblock holds the raw superblock and the geometry derived from it.
type superblock struct {
	raw         []byte
	blockSize   int64
	blocksCount uint64
	firstData   uint64
	bpg         uint32 // blocks per group
	ipg         uint32 // inodes per group
	inodeSize   int
	inodesCount uint32
	firstIno    uint32
	groups      uint32
	descSize    int
	incompat    uint32
	roCompat    uint32
	compat      uint32
	csumSeed    uint32
}

func (s *superblock) has64() bool       { return s.incompat&incompat64bit != 0 }
func (s *superblock) metaCsum() bool    { return s.roCompat&roCompatMetaCsum != 0 }
func (s *superblock) gdtCsum() bool     { return s.roCompat&roCompatGdtCsum != 0 }
func (s *superblock) hasExtents() bool  { return s.incompat&incompatExtents != 0 }
func (s *superblock) hasFiletype() bool { return s.incompat&incompatFiletype != 0 }

func (s *superblock) u32(off int) uint32 { return le.Uint32(s.raw[off:]) }
func (s *superblock) u16(off int) uint16 { return le.Uint16(s.raw[off:]) }

func parseSuper(raw []byte) (*superblock, error) {
	s := &superblock{raw: raw}
	if s.u16(sbMagic) != sbMagicValue {
		return nil, mountErr(syscall.EINVAL, "bad superblock magic %#x", s.u16(sbMagic))
	}
	s.compat = s.u32(sbFeatureCompat)
	s.incompat = s.u32(sbFeatureIncompat)
	s.roCompat = s.u32(sbFeatureRoCompat)
	if s.metaCsum() {
		if s.raw[0x175] != 1 {
			return nil, mountErr(syscall.EINVAL, "unknown checksum type %d", s.raw[0x175])
		}
		if want, got := crc32c(^uint32(0), raw[:sbChecksum]), s.u32(sbChecksum); want != got {
			return nil, mountErr(syscall.EIO, "superblock checksum mismatch (%#x, computed %#x)", got, want)
		}
	}
	if bad := s.incompat &^ incompatRead; bad != 0 {
		return nil, mountErr(syscall.EINVAL, "unsupported incompatible features %#x", bad)
	}
	if s.roCompat&roCompatBigalloc != 0 {
		return nil, mountErr(syscall.EINVAL, "bigalloc is not supported")
	}
	log := s.u32(sbLogBlockSize)
	if log > 6 {
		return nil, mountErr(syscall.EINVAL, "bad block size log %d", log)
	}
	s.blockSize = 1024 << log
	s.blocksCount = uint64(s.u32(sbBlocksCountLo))
	if s.has64() {
		s.blocksCount |= uint64(s.u32(sbBlocksCountHi)) << 32
	}
	s.firstData = uint64(s.u32(sbFirstDataBlock))
	s.bpg = s.u32(sbBlocksPerGroup)
	s.ipg = s.u32(sbInodesPerGroup)
	s.inodesCount = s.u32(sbInodesCount)
	s.inodeSize, s.firstIno = 128, 11
	if s.u32(sbRevLevel) >= 1 {
		s.inodeSize = int(s.u16(sbInodeSize))
		s.firstIno = s.u32(sbFirstIno)
	}
	if s.bpg == 0 || s.bpg > uint32(s.blockSize*8) || s.ipg == 0 || s.ipg > uint32(s.blockSize*8) ||
		s.inodeSize < 128 || s.inodeSize > int(s.blockSize) || s.inodeSize&(s.inodeSize-1) != 0 ||
		s.firstData >= s.blocksCount || s.firstIno < 3 {
		return nil, mountErr(syscall.EINVAL, "inconsistent superblock geometry")
	}
	groups := (s.blocksCount - s.firstData + uint64(s.bpg) - 1) / uint64(s.bpg)
	if groups == 0 || groups > 1<<32-1 || uint64(s.inodesCount) != groups*uint64(s.ipg) {
		return nil, mountErr(syscall.EINVAL, "inconsistent group count")
	}
	s.groups = uint32(groups)
	s.descSize = 32
	if s.has64() {
		s.descSize = int(s.u16(sbDescSize))
		if s.descSize < 64 || s.descSize > 1024 || s.descSize&(s.descSize-1) != 0 {
			return nil, mountErr(syscall.EINVAL, "bad descriptor size %d", s.descSize)
		}
	}
	if s.incompat&incompatCsumSeed != 0 {
		s.csumSeed = s.u32(sbChecksumSeed)
	} else {
		s.csumSeed = crc32c(^uint32(0), raw[sbUUID:sbUUID+16])
	}
	return s, nil
}

// writable reports why the image cannot be written, or "" if it can.
func (s *superblock) notWritable() string {
	if bad := s.incompat &^ incompatWrite; bad != 0 {
		return fmt.Sprintf("incompatible features %#x are read-only here", bad)
	}
	if bad := s.roCompat &^ roCompatWrite; bad != 0 {
		return fmt.Sprintf("read-only-compatible features %#x are read-only here", bad)
	}
	if !s.hasExtents() {
		return "images without extents are read-only here"
	}
	return ""
}

func (s *superblock) setFreeBlocks(n uint64) {
	le.PutUint32(s.raw[sbFreeBlocksLo:], uint32(n))
	if s.has64() {
		le.PutUint32(s.raw[sbFreeBlocksHi:], uint32(n>>32))
	}
}

func (s *superblock) freeBlocks() uint64 {
	n := uint64(s.u32(sbFreeBlocksLo))
	if s.has64() {
		n |= uint64(s.u32(sbFreeBlocksHi)) << 32
	}
	return n
}

func (s *superblock) reservedBlocks() uint64 {
	n := uint64(s.u32(sbRBlocksCountLo))
	if s.has64() {
		n |= uint64(s.u32(sbRBlocksCountHi)) << 32
	}
	return n
}

func (s *superblock) updateChecksum() {
	if s.metaCsum() {
		le.PutUint32(s.raw[sbChecksum:], crc32c(^uint32(0), s.raw[:sbChecksum]))
	}
}

// groupHasSuper reports whether group g holds a superblock backup.
func (s *superblock) groupHasSuper(g uint32) bool {
	if g == 0 {
		return true
	}
	if s.compat&compatSparseSuper2 != 0 {
		return g == s.u32(sbBackupBGs) || g == s.u32(sbBackupBGs+4)
	}
	if s.roCompat&roCompatSparseSuper == 0 || g == 1 {
		return true
	}
	for _, b := range []uint32{3, 5, 7} {
		n := b
		for n < g {
			n *= b
		}
		if n == g {
			return true
		}
	}
	return false
}

// groupStart returns the first block of group g, and the number of blocks
// in it (the last group may be partial).
func (s *superblock) groupRange(g uint32) (start uint64, n uint32) {
	start = s.firstData + uint64(g)*uint64(s.bpg)
	n = s.bpg
	if rest := s.blocksCount - start; rest < uint64(n) {
		n = uint32(rest)
	}
	return start, n
}

// gdtBlocks is the number of blocks that hold group descriptors.
func (s *superblock) gdtBlocks() uint64 {
	per := uint64(s.blockSize) / uint64(s.descSize)
	return (uint64(s.groups) + per - 1) / per
}
