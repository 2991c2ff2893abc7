package ext4

import "syscall"

// Group descriptor field offsets (struct ext4_group_desc); the _hi halves
// exist only with 64-byte descriptors.
const (
	gdBlockBitmapLo  = 0x0
	gdInodeBitmapLo  = 0x4
	gdInodeTableLo   = 0x8
	gdFreeBlocksLo   = 0xC
	gdFreeInodesLo   = 0xE
	gdUsedDirsLo     = 0x10
	gdFlags          = 0x12
	gdBlockCsumLo    = 0x18
	gdInodeCsumLo    = 0x1A
	gdItableUnusedLo = 0x1C
	gdChecksum       = 0x1E
	gdBlockBitmapHi  = 0x20
	gdInodeBitmapHi  = 0x24
	gdInodeTableHi   = 0x28
	gdFreeBlocksHi   = 0x2C
	gdFreeInodesHi   = 0x2E
	gdUsedDirsHi     = 0x30
	gdItableUnusedHi = 0x32
	gdBlockCsumHi    = 0x38
	gdInodeCsumHi    = 0x3A

	bgInodeUninit = 0x1
	bgBlockUninit = 0x2
)

// groups holds every group descriptor, raw, as read from the primary
// descriptor table.
type groups struct {
	sb  *superblock
	raw []byte
}

func (t *groups) desc(g uint32) []byte {
	d := t.sb.descSize
	return t.raw[int(g)*d : int(g+1)*d]
}

// split reads a field stored as a lo half and, with 64-byte descriptors, a
// hi half.
func (t *groups) split32(g uint32, lo, hi int) uint64 {
	d := t.desc(g)
	v := uint64(le.Uint32(d[lo:]))
	if t.sb.descSize >= 64 {
		v |= uint64(le.Uint32(d[hi:])) << 32
	}
	return v
}

func (t *groups) split16(g uint32, lo, hi int) uint32 {
	d := t.desc(g)
	v := uint32(le.Uint16(d[lo:]))
	if t.sb.descSize >= 64 {
		v |= uint32(le.Uint16(d[hi:])) << 16
	}
	return v
}

func (t *groups) set16(g uint32, lo, hi int, v uint32) {
	d := t.desc(g)
	le.PutUint16(d[lo:], uint16(v))
	if t.sb.descSize >= 64 {
		le.PutUint16(d[hi:], uint16(v>>16))
	}
}

func (t *groups) blockBitmap(g uint32) uint64 { return t.split32(g, gdBlockBitmapLo, gdBlockBitmapHi) }
func (t *groups) inodeBitmap(g uint32) uint64 { return t.split32(g, gdInodeBitmapLo, gdInodeBitmapHi) }
func (t *groups) inodeTable(g uint32) uint64  { return t.split32(g, gdInodeTableLo, gdInodeTableHi) }
func (t *groups) freeBlocks(g uint32) uint32  { return t.split16(g, gdFreeBlocksLo, gdFreeBlocksHi) }
func (t *groups) freeInodes(g uint32) uint32  { return t.split16(g, gdFreeInodesLo, gdFreeInodesHi) }
func (t *groups) usedDirs(g uint32) uint32    { return t.split16(g, gdUsedDirsLo, gdUsedDirsHi) }
func (t *groups) itableUnused(g uint32) uint32 {
	return t.split16(g, gdItableUnusedLo, gdItableUnusedHi)
}
func (t *groups) flags(g uint32) uint16 { return le.Uint16(t.desc(g)[gdFlags:]) }
func (t *groups) setFlags(g uint32, f uint16) {
	le.PutUint16(t.desc(g)[gdFlags:], f)
}

// csumEnabled reports whether descriptors carry checksums and uninit flags.
func (t *groups) csumEnabled() bool { return t.sb.metaCsum() || t.sb.gdtCsum() }

func (t *groups) checksum(g uint32) uint16 {
	d := t.desc(g)
	if t.sb.metaCsum() {
		c := crc32cU32(t.sb.csumSeed, g)
		c = crc32c(c, d[:gdChecksum])
		c = crc32c(c, []byte{0, 0})
		c = crc32c(c, d[gdChecksum+2:])
		return uint16(c)
	}
	c := crc16(0xFFFF, t.sb.raw[sbUUID:sbUUID+16])
	c = crc16(c, []byte{byte(g), byte(g >> 8), byte(g >> 16), byte(g >> 24)})
	c = crc16(c, d[:gdChecksum])
	return crc16(c, d[gdChecksum+2:])
}

func (t *groups) updateChecksum(g uint32) {
	if t.csumEnabled() {
		le.PutUint16(t.desc(g)[gdChecksum:], t.checksum(g))
	}
}

// bitmapCsum computes a bitmap checksum and stores it in the descriptor.
func (t *groups) setBitmapCsum(g uint32, lo, hi int, bitmap []byte) {
	if !t.sb.metaCsum() {
		return
	}
	c := crc32c(t.sb.csumSeed, bitmap)
	d := t.desc(g)
	le.PutUint16(d[lo:], uint16(c))
	if t.sb.descSize >= 64 {
		le.PutUint16(d[hi:], uint16(c>>16))
	}
}

// gdtBlock returns the disk block that holds descriptor block i.
func (t *groups) gdtBlock(i uint64) uint64 {
	s := t.sb
	if s.incompat&incompatMetaBG == 0 || i < uint64(s.u32(0x104)) {
		return s.firstData + 1 + i
	}
	g := uint32(i * uint64(s.blockSize) / uint64(s.descSize))
	start, _ := s.groupRange(g)
	if s.groupHasSuper(g) {
		start++
	}
	return start
}

// validate checks every descriptor's checksum and that its metadata lies
// inside the filesystem.
func (t *groups) validate() error {
	s := t.sb
	itBlocks := (uint64(s.ipg)*uint64(s.inodeSize) + uint64(s.blockSize) - 1) / uint64(s.blockSize)
	for g := uint32(0); g < s.groups; g++ {
		if t.csumEnabled() && le.Uint16(t.desc(g)[gdChecksum:]) != t.checksum(g) {
			return mountErr(syscall.EIO, "group %d descriptor checksum mismatch", g)
		}
		for _, b := range []uint64{t.blockBitmap(g), t.inodeBitmap(g)} {
			if b < s.firstData || b >= s.blocksCount {
				return mountErr(syscall.EIO, "group %d bitmap block %d out of range", g, b)
			}
		}
		if it := t.inodeTable(g); it < s.firstData || it+itBlocks > s.blocksCount {
			return mountErr(syscall.EIO, "group %d inode table %d out of range", g, it)
		}
	}
	return nil
}
