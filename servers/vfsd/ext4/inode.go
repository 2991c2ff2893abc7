package ext4

import (
	"syscall"
	"time"
)

// Inode field offsets (struct ext4_inode).
const (
	inMode        = 0x0
	inUID         = 0x2
	inSizeLo      = 0x4
	inAtime       = 0x8
	inCtime       = 0xC
	inMtime       = 0x10
	inDtime       = 0x14
	inGID         = 0x18
	inLinks       = 0x1A
	inBlocksLo    = 0x1C
	inFlags       = 0x20
	inBlock       = 0x28 // i_block[15], 60 bytes
	inGeneration  = 0x64
	inFileACLLo   = 0x68
	inSizeHi      = 0x6C
	inBlocksHi    = 0x74
	inFileACLHi   = 0x76
	inUIDHi       = 0x78
	inGIDHi       = 0x7A
	inCsumLo      = 0x7C
	inExtraIsize  = 0x80
	inCsumHi      = 0x82
	inCtimeExtra  = 0x84
	inMtimeExtra  = 0x88
	inAtimeExtra  = 0x8C
	inCrtime      = 0x90
	inCrtimeExtra = 0x94
	inBlockLen    = 60

	flagHugeFile   = 0x40000
	flagIndex      = 0x1000
	flagExtents    = 0x80000
	flagInlineData = 0x10000000
	flagEAInode    = 0x200000

	sIFMT   = 0xF000
	sIFSOCK = 0xC000
	sIFLNK  = 0xA000
	sIFREG  = 0x8000
	sIFBLK  = 0x6000
	sIFDIR  = 0x4000
	sIFCHR  = 0x2000
	sIFIFO  = 0x1000
)

// inode is one on-disk inode, raw, with its number.
type inode struct {
	ino uint32
	b   []byte
}

func (i *inode) u16(off int) uint16      { return le.Uint16(i.b[off:]) }
func (i *inode) u32(off int) uint32      { return le.Uint32(i.b[off:]) }
func (i *inode) put16(off int, v uint16) { le.PutUint16(i.b[off:], v) }
func (i *inode) put32(off int, v uint32) { le.PutUint32(i.b[off:], v) }

func (i *inode) mode() uint16  { return i.u16(inMode) }
func (i *inode) fmt() uint16   { return i.mode() & sIFMT }
func (i *inode) isDir() bool   { return i.fmt() == sIFDIR }
func (i *inode) isReg() bool   { return i.fmt() == sIFREG }
func (i *inode) isLink() bool  { return i.fmt() == sIFLNK }
func (i *inode) flags() uint32 { return i.u32(inFlags) }
func (i *inode) links() uint16 { return i.u16(inLinks) }

func (i *inode) size() uint64 { return uint64(i.u32(inSizeLo)) | uint64(i.u32(inSizeHi))<<32 }
func (i *inode) setSize(n uint64) {
	i.put32(inSizeLo, uint32(n))
	i.put32(inSizeHi, uint32(n>>32))
}

func (i *inode) uid() uint32 { return uint32(i.u16(inUID)) | uint32(i.u16(inUIDHi))<<16 }
func (i *inode) gid() uint32 { return uint32(i.u16(inGID)) | uint32(i.u16(inGIDHi))<<16 }
func (i *inode) setOwner(uid, gid uint32) {
	i.put16(inUID, uint16(uid))
	i.put16(inUIDHi, uint16(uid>>16))
	i.put16(inGID, uint16(gid))
	i.put16(inGIDHi, uint16(gid>>16))
}

func (i *inode) fileACL() uint64 {
	return uint64(i.u32(inFileACLLo)) | uint64(i.u16(inFileACLHi))<<32
}

func (i *inode) extraIsize() int {
	if len(i.b) <= 128 {
		return 0
	}
	return int(i.u16(inExtraIsize))
}

// hasField reports whether the extra part of the inode covers [off,off+4).
func (i *inode) hasField(off int) bool { return off+4 <= 128+i.extraIsize() }

// sectors is i_blocks in 512-byte units.
func (fs *FS) sectors(i *inode) uint64 {
	n := uint64(i.u32(inBlocksLo))
	if fs.sb.roCompat&roCompatHugeFile != 0 {
		n |= uint64(i.u16(inBlocksHi)) << 32
		if i.flags()&flagHugeFile != 0 {
			n *= uint64(fs.sb.blockSize / 512)
		}
	}
	return n
}

// addBlocks adjusts i_blocks by delta filesystem blocks.
func (fs *FS) addBlocks(i *inode, delta int64) {
	n := int64(fs.sectors(i)) + delta*(fs.sb.blockSize/512)
	if n < 0 {
		n = 0
	}
	f := i.flags() &^ flagHugeFile
	if n >= 1<<32 && fs.sb.roCompat&roCompatHugeFile != 0 {
		i.put16(inBlocksHi, uint16(uint64(n)>>32))
	} else {
		i.put16(inBlocksHi, 0)
	}
	i.put32(inFlags, f)
	i.put32(inBlocksLo, uint32(n))
}

// timestamp decodes a seconds field and its _extra (epoch bits and
// nanoseconds).
func (i *inode) timestamp(off, extra int) time.Time {
	sec := int64(int32(i.u32(off)))
	var nsec int64
	if extra != 0 && i.hasField(extra) {
		x := i.u32(extra)
		sec += int64(x&3) << 32
		nsec = int64(x >> 2)
		if nsec > 999999999 {
			nsec = 0
		}
	}
	return time.Unix(sec, nsec)
}

func (i *inode) setTimestamp(off, extra int, t time.Time) {
	sec := t.Unix()
	i.put32(off, uint32(sec))
	if extra != 0 && i.hasField(extra) {
		epoch := uint32((sec-int64(int32(sec)))>>32) & 3
		i.put32(extra, uint32(t.Nanosecond())<<2|epoch)
	}
}

// inodeLoc returns the block and byte offset holding inode ino.
func (fs *FS) inodeLoc(ino uint32) (uint64, int, error) {
	if ino == 0 || ino > fs.sb.inodesCount {
		return 0, 0, syscall.EINVAL
	}
	g := (ino - 1) / fs.sb.ipg
	idx := uint64((ino - 1) % fs.sb.ipg)
	byteOff := idx * uint64(fs.sb.inodeSize)
	blk := fs.gt.inodeTable(g) + byteOff/uint64(fs.sb.blockSize)
	return blk, int(byteOff % uint64(fs.sb.blockSize)), nil
}

// inode reads inode ino into a private copy and verifies its checksum.
func (fs *FS) inode(ino uint32) (*inode, error) {
	blk, off, err := fs.inodeLoc(ino)
	if err != nil {
		return nil, err
	}
	b, err := fs.readBlock(blk)
	if err != nil {
		return nil, err
	}
	in := &inode{ino: ino, b: append([]byte(nil), b[off:off+fs.sb.inodeSize]...)}
	if in.extraIsize() > fs.sb.inodeSize-128 || in.extraIsize()&3 != 0 {
		return nil, syscall.EIO
	}
	if fs.sb.metaCsum() && in.mode() != 0 && fs.inodeCsum(in) != fs.storedInodeCsum(in) {
		return nil, syscall.EIO
	}
	return in, nil
}

// liveInode reads an inode that must be in use.
func (fs *FS) liveInode(ino uint32) (*inode, error) {
	in, err := fs.inode(ino)
	if err != nil {
		return nil, err
	}
	if in.links() == 0 && fs.refs[ino] == 0 || in.mode() == 0 {
		return nil, syscall.ENOENT
	}
	return in, nil
}

func (fs *FS) csumHi(in *inode) bool { return in.extraIsize() >= 4 }

func (fs *FS) storedInodeCsum(in *inode) uint32 {
	c := uint32(in.u16(inCsumLo))
	if fs.csumHi(in) {
		c |= uint32(in.u16(inCsumHi)) << 16
	}
	return c
}

// inodeSeed is the per-inode checksum seed used by the inode and by the
// extent and directory blocks that belong to it.
func (fs *FS) inodeSeed(in *inode) uint32 {
	c := crc32cU32(fs.sb.csumSeed, in.ino)
	return crc32cU32(c, in.u32(inGeneration))
}

func (fs *FS) inodeCsum(in *inode) uint32 {
	b := append([]byte(nil), in.b...)
	le.PutUint16(b[inCsumLo:], 0)
	hi := fs.csumHi(in)
	if hi {
		le.PutUint16(b[inCsumHi:], 0)
	}
	c := crc32c(fs.inodeSeed(in), b)
	if !hi {
		c &= 0xFFFF
	}
	return c
}

// writeInode stores the inode, with a fresh checksum.
func (fs *FS) writeInode(in *inode) error {
	if fs.sb.metaCsum() {
		c := fs.inodeCsum(in)
		in.put16(inCsumLo, uint16(c))
		if fs.csumHi(in) {
			in.put16(inCsumHi, uint16(c>>16))
		}
	}
	blk, off, err := fs.inodeLoc(in.ino)
	if err != nil {
		return err
	}
	b, err := fs.blockCopy(blk)
	if err != nil {
		return err
	}
	copy(b[off:], in.b)
	return fs.writeBlock(blk, b)
}

// Attr is an inode's metadata.
type Attr struct {
	Ino    uint32
	Mode   uint32 // file type and permission bits, as in st_mode
	UID    uint32
	GID    uint32
	Size   uint64
	Nlink  uint32
	Blocks uint64 // 512-byte units, as st_blocks
	Rdev   uint64 // Linux dev_t encoding (major<<8 | minor, with the high bits of the new encoding)
	Atime  time.Time
	Mtime  time.Time
	Ctime  time.Time
	Crtime time.Time // zero time if the inode has no creation time
	Flags  uint32    // ext4 inode flags
	Gen    uint32
}

// Stat returns the attributes of inode ino.
func (fs *FS) Stat(ino uint32) (Attr, error) {
	if err := fs.rlock(); err != nil {
		return Attr{}, err
	}
	defer fs.mu.RUnlock()
	in, err := fs.liveInode(ino)
	if err != nil {
		return Attr{}, err
	}
	return fs.attr(in), nil
}

func (fs *FS) attr(in *inode) Attr {
	a := Attr{
		Ino:    in.ino,
		Mode:   uint32(in.mode()),
		UID:    in.uid(),
		GID:    in.gid(),
		Size:   in.size(),
		Nlink:  uint32(in.links()),
		Blocks: fs.sectors(in),
		Atime:  in.timestamp(inAtime, inAtimeExtra),
		Mtime:  in.timestamp(inMtime, inMtimeExtra),
		Ctime:  in.timestamp(inCtime, inCtimeExtra),
		Flags:  in.flags(),
		Gen:    in.u32(inGeneration),
	}
	if in.hasField(inCrtime) {
		a.Crtime = in.timestamp(inCrtime, inCrtimeExtra)
	}
	if f := in.fmt(); f == sIFCHR || f == sIFBLK {
		a.Rdev = decodeDev(in)
	}
	return a
}

// decodeDev reads a device number from i_block the way Linux does: the old
// 16-bit encoding in i_block[0], else the new 32-bit one in i_block[1].
func decodeDev(in *inode) uint64 {
	if old := in.u32(inBlock); old != 0 {
		return uint64(old>>8&0xff)<<8 | uint64(old&0xff)
	}
	n := in.u32(inBlock + 4)
	major := uint64(n&0xfff00) >> 8
	minor := uint64(n&0xff) | uint64(n>>12&0xfff00)
	return mkdev(major, minor)
}

// mkdev builds a Linux dev_t (glibc's gnu_dev_makedev).
func mkdev(major, minor uint64) uint64 {
	return (major&0xfff)<<8 | (major&^0xfff)<<32 | minor&0xff | (minor&^0xff)<<12
}

// Major and Minor split a Linux dev_t.
func Major(dev uint64) uint64 { return dev>>8&0xfff | dev>>32&^0xfff }

// Minor returns the minor number of a Linux dev_t.
func Minor(dev uint64) uint64 { return dev&0xff | dev>>12&^0xff }

func encodeDev(in *inode, dev uint64) {
	major, minor := Major(dev), Minor(dev)
	for k := 0; k < 3; k++ {
		in.put32(inBlock+4*k, 0)
	}
	if major < 256 && minor < 256 {
		in.put32(inBlock, uint32(major<<8|minor))
		return
	}
	in.put32(inBlock+4, uint32(minor&0xff|major<<8|(minor&^0xff)<<12))
}
