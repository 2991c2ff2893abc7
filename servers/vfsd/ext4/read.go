package ext4

import (
	"bytes"
	"io"
	"sort"
	"syscall"
)

// ReadAt reads from regular file ino at byte offset off, following
// io.ReaderAt: n < len(p) comes with io.EOF at the end of the file. Holes
// and uninitialised extents read as zeros.
func (fs *FS) ReadAt(ino uint32, p []byte, off int64) (int, error) {
	if err := fs.rlock(); err != nil {
		return 0, err
	}
	defer fs.mu.RUnlock()
	in, err := fs.liveInode(ino)
	if err != nil {
		return 0, err
	}
	if in.isDir() {
		return 0, syscall.EISDIR
	}
	if !in.isReg() {
		return 0, syscall.EINVAL
	}
	return fs.readData(in, p, off)
}

// readData reads file contents regardless of the inode's type.
func (fs *FS) readData(in *inode, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, syscall.EINVAL
	}
	size := int64(in.size())
	if off >= size {
		return 0, io.EOF
	}
	var eof error
	if int64(len(p)) > size-off {
		p, eof = p[:size-off], io.EOF
	}
	if in.flags()&flagInlineData != 0 {
		data, err := fs.inlineData(in)
		if err != nil {
			return 0, err
		}
		clear(p)
		if off < int64(len(data)) {
			copy(p, data[off:])
		}
		return len(p), eof
	}
	bs := fs.sb.blockSize
	from, to := uint64(off/bs), uint64((off+int64(len(p))+bs-1)/bs)
	exts, err := fs.mapRange(in, from, to)
	if err != nil {
		return 0, err
	}
	clear(p)
	for _, e := range exts {
		if e.uninit {
			continue
		}
		// Byte range of the file this extent covers, clipped to the request.
		lo := max(int64(e.lblk)*bs, off)
		hi := min(int64(e.end())*bs, off+int64(len(p)))
		if lo >= hi {
			continue
		}
		disk := int64(e.pblk)*bs + lo - int64(e.lblk)*bs
		if l := lo / bs; l == (hi-1)/bs {
			// Within one block: through the data cache.
			b, err := fs.dataBlock(e.pblk + uint64(l) - uint64(e.lblk))
			if err != nil {
				return 0, err
			}
			copy(p[lo-off:hi-off], b[lo-l*bs:])
			continue
		}
		if err := readFull(fs.dev, p[lo-off:hi-off], disk); err != nil {
			return 0, syscall.EIO
		}
	}
	return len(p), eof
}

// inlineData returns the contents of an inline-data inode: i_block followed
// by the value of the system.data extended attribute.
func (fs *FS) inlineData(in *inode) ([]byte, error) {
	data := append([]byte(nil), in.b[inBlock:inBlock+inBlockLen]...)
	v, err := inodeXattr(in, 7, "data")
	if err != nil {
		return nil, err
	}
	data = append(data, v...)
	if uint64(len(data)) > in.size() {
		data = data[:in.size()]
	}
	return data, nil
}

// inodeXattr finds an extended attribute stored in the inode body.
func inodeXattr(in *inode, index uint8, name string) ([]byte, error) {
	start := 128 + in.extraIsize()
	if start+4 > len(in.b) || le.Uint32(in.b[start:]) != 0xEA020000 {
		return nil, nil
	}
	area := in.b[start+4:]
	for off := 0; off+16 <= len(area) && le.Uint32(area[off:]) != 0; {
		nlen := int(area[off])
		if off+16+nlen > len(area) {
			return nil, syscall.EIO
		}
		voff, vsize := int(le.Uint16(area[off+2:])), int(le.Uint32(area[off+8:]))
		if area[off+1] == index && string(area[off+16:off+16+nlen]) == name {
			if le.Uint32(area[off+4:]) != 0 || voff+vsize > len(area) {
				return nil, syscall.EIO
			}
			return area[voff : voff+vsize], nil
		}
		off += (16 + nlen + 3) &^ 3
	}
	return nil, nil
}

// Readlink returns a symbolic link's target.
func (fs *FS) Readlink(ino uint32) (string, error) {
	if err := fs.rlock(); err != nil {
		return "", err
	}
	defer fs.mu.RUnlock()
	in, err := fs.liveInode(ino)
	if err != nil {
		return "", err
	}
	return fs.readlink(in)
}

func (fs *FS) readlink(in *inode) (string, error) {
	if !in.isLink() {
		return "", syscall.EINVAL
	}
	size := in.size()
	if size > uint64(fs.sb.blockSize) || size > 65536 {
		return "", syscall.EIO
	}
	if fastSymlink(in) {
		return string(in.b[inBlock : inBlock+int(size)]), nil
	}
	buf := make([]byte, size)
	if _, err := fs.readData(in, buf, 0); err != nil && err != io.EOF {
		return "", err
	}
	return string(buf), nil
}

// fastSymlink reports whether a symlink keeps its target in i_block.
func fastSymlink(in *inode) bool {
	return in.flags()&(flagExtents|flagInlineData) == 0 && in.size() < inBlockLen
}

// DirEntry is one directory entry. Next is the cookie that resumes
// reading after this entry.
type DirEntry struct {
	Name string
	Ino  uint32
	Type uint8 // DT_* value as in getdents64 (DT_UNKNOWN without the filetype feature)
	Next uint64
}

// dtype maps ext4 directory file types to getdents DT_* values.
var dtype = [8]uint8{0, 8, 4, 2, 6, 1, 12, 10}

// ftypeOf maps an inode mode to an ext4 directory file type.
func ftypeOf(mode uint16) uint8 {
	switch mode & sIFMT {
	case sIFREG:
		return 1
	case sIFDIR:
		return 2
	case sIFCHR:
		return 3
	case sIFBLK:
		return 4
	case sIFIFO:
		return 5
	case sIFSOCK:
		return 6
	case sIFLNK:
		return 7
	}
	return 0
}

// rawEntry is a directory entry as found on disk. pos is its position in
// the directory (logical block * block size + offset), used as a cookie.
type rawEntry struct {
	pos    uint64
	off    int // offset in its block
	recLen int
	ino    uint32
	ftype  uint8
	name   []byte
}

// recLen decodes a rec_len field (64 KiB blocks encode 65536 specially).
func (fs *FS) recLen(v uint16) int {
	if fs.sb.blockSize < 65536 {
		return int(v)
	}
	if v == 65535 || v == 0 {
		return 65536
	}
	return int(v&65532) | int(v&3)<<16
}

func (fs *FS) putRecLen(b []byte, n int) {
	if n >= 65536 {
		le.PutUint16(b, 65535)
		return
	}
	le.PutUint16(b, uint16(n))
}

// hasTail reports whether a directory block ends in a checksum tail.
func (fs *FS) hasTail(b []byte) bool {
	if !fs.sb.metaCsum() || len(b) < 12 {
		return false
	}
	t := b[len(b)-12:]
	return le.Uint32(t) == 0 && le.Uint16(t[4:]) == 12 && t[6] == 0 && t[7] == 0xDE
}

// dirBlockOK verifies a directory leaf block's checksum tail, if it has
// one (htree index blocks carry theirs elsewhere and are not checked).
func (fs *FS) dirBlockOK(d *inode, b []byte) bool {
	if !fs.hasTail(b) {
		return true
	}
	n := len(b) - 12
	return crc32c(fs.inodeSeed(d), b[:n]) == le.Uint32(b[n+8:])
}

// cachedDirBlockOK is dirBlockOK for a block from readBlock, which it
// checksums only the first time.
func (fs *FS) cachedDirBlockOK(d *inode, b []byte) bool {
	return fs.dirsOK.once(b, fs.inodeSeed(d), func() bool { return fs.dirBlockOK(d, b) })
}

// entries parses the entries of one directory block, calling fn for each
// (including unused ones, with ino 0). fn returns false to stop.
func (fs *FS) entries(b []byte, base uint64, fn func(rawEntry) bool) error {
	limit := len(b)
	if fs.hasTail(b) {
		limit -= 12
	}
	for off := 0; off < limit; {
		if off+8 > limit {
			return syscall.EIO
		}
		rl := fs.recLen(le.Uint16(b[off+4:]))
		nl := int(b[off+6])
		if rl < 8 || rl%4 != 0 || off+rl > limit || 8+nl > rl {
			return syscall.EIO
		}
		e := rawEntry{pos: base + uint64(off), off: off, recLen: rl, ino: le.Uint32(b[off:]), ftype: b[off+7], name: b[off+8 : off+8+nl]}
		if !fn(e) {
			return nil
		}
		off += rl
	}
	return nil
}

// dirBlocks calls fn for each mapped block of directory in, in logical
// order, with the block's contents (shared; do not modify).
func (fs *FS) dirBlocks(in *inode, fn func(lblk uint32, pblk uint64, b []byte) (bool, error)) error {
	if !in.isDir() {
		return syscall.ENOTDIR
	}
	bs := uint64(fs.sb.blockSize)
	nblk := (in.size() + bs - 1) / bs
	exts, err := fs.mapRange(in, 0, nblk)
	if err != nil {
		return err
	}
	for _, e := range exts {
		if e.uninit {
			continue
		}
		for k := uint32(0); k < e.n && uint64(e.lblk+k) < nblk; k++ {
			b, err := fs.readBlock(e.pblk + uint64(k))
			if err != nil {
				return err
			}
			if !fs.cachedDirBlockOK(in, b) {
				return syscall.EIO
			}
			if more, err := fn(e.lblk+k, e.pblk+uint64(k), b); err != nil || !more {
				return err
			}
		}
	}
	return nil
}

// forEachEntry calls fn for every live entry of directory in (including .
// and ..), in position order.
func (fs *FS) forEachEntry(in *inode, fn func(rawEntry) bool) error {
	if in.flags()&flagInlineData != 0 {
		return fs.inlineEntries(in, fn)
	}
	bs := uint64(fs.sb.blockSize)
	var inner error
	err := fs.dirBlocks(in, func(lblk uint32, _ uint64, b []byte) (bool, error) {
		more := true
		inner = fs.entries(b, uint64(lblk)*bs, func(e rawEntry) bool {
			if e.ino != 0 {
				more = fn(e)
			}
			return more
		})
		return more, inner
	})
	return err
}

// inlineEntries walks an inline-data directory: the parent's inode number
// in the first 4 bytes of i_block, then entries in the rest of i_block and
// in the system.data attribute. "." and ".." are synthesised at positions
// 0 and 1.
func (fs *FS) inlineEntries(in *inode, fn func(rawEntry) bool) error {
	if !fn(rawEntry{pos: 0, recLen: 1, ino: in.ino, ftype: 2, name: []byte(".")}) {
		return nil
	}
	if !fn(rawEntry{pos: 1, recLen: 3, ino: in.u32(inBlock), ftype: 2, name: []byte("..")}) {
		return nil
	}
	ext, err := inodeXattr(in, 7, "data")
	if err != nil {
		return err
	}
	more := true
	walk := func(b []byte, base uint64) error {
		if len(b) == 0 || !more {
			return nil
		}
		return fs.entries(b, base, func(e rawEntry) bool {
			if e.ino != 0 {
				more = fn(e)
			}
			return more
		})
	}
	if err := walk(in.b[inBlock+4:inBlock+inBlockLen], 4); err != nil {
		return err
	}
	return walk(ext, inBlockLen)
}

// Lookup returns the inode number that name refers to in directory dir.
func (fs *FS) Lookup(dir uint32, name string) (uint32, error) {
	if err := fs.rlock(); err != nil {
		return 0, err
	}
	defer fs.mu.RUnlock()
	d, err := fs.liveInode(dir)
	if err != nil {
		return 0, err
	}
	e, err := fs.find(d, name)
	return e.ino, err
}

// find looks name up in directory d; ENOENT if absent.
func (fs *FS) find(d *inode, name string) (rawEntry, error) {
	if !d.isDir() {
		return rawEntry{}, syscall.ENOTDIR
	}
	if len(name) > 255 {
		return rawEntry{}, syscall.ENAMETOOLONG
	}
	var found rawEntry
	n := []byte(name)
	// "." and ".." live in the index root, not in a leaf.
	if d.flags()&(flagIndex|flagInlineData) == flagIndex && name != "." && name != ".." {
		if e, ok, usable := fs.dxFind(d, n); usable {
			if !ok {
				return rawEntry{}, syscall.ENOENT
			}
			if e.ino > fs.sb.inodesCount {
				return rawEntry{}, syscall.EIO
			}
			return e, nil
		}
	}
	err := fs.forEachEntry(d, func(e rawEntry) bool {
		if bytes.Equal(e.name, n) {
			found = e
			return false
		}
		return true
	})
	if err != nil {
		return rawEntry{}, err
	}
	if found.ino == 0 {
		return rawEntry{}, syscall.ENOENT
	}
	if found.ino > fs.sb.inodesCount {
		return rawEntry{}, syscall.EIO
	}
	return found, nil
}

// ReadDir returns up to max entries of directory dir starting at cookie (0
// for the beginning), including "." and "..". Next cookies stay valid
// while entries are added and removed: in a linear directory they are
// positions, which never move; in an htree directory, whose leaf splits
// do move entries, entries come in hash order and cookies are hashes, as
// on Linux. To keep entries with equal hashes together a batch may exceed
// max by the size of such a group.
func (fs *FS) ReadDir(dir uint32, cookie uint64, max int) ([]DirEntry, error) {
	if err := fs.rlock(); err != nil {
		return nil, err
	}
	defer fs.mu.RUnlock()
	d, err := fs.liveInode(dir)
	if err != nil {
		return nil, err
	}
	if !d.isDir() {
		return nil, syscall.ENOTDIR
	}
	if cookie&hashCookie != 0 || cookie == 0 && d.flags()&(flagIndex|flagInlineData) == flagIndex {
		return fs.readDirHashed(d, cookie, max)
	}
	var out []DirEntry
	err = fs.forEachEntry(d, func(e rawEntry) bool {
		if e.pos < cookie {
			return true
		}
		out = append(out, fs.dirEntry(e, e.pos+uint64(e.recLen)))
		return max <= 0 || len(out) < max
	})
	return out, err
}

func (fs *FS) dirEntry(e rawEntry, next uint64) DirEntry {
	t := uint8(0)
	if fs.sb.hasFiletype() {
		t = dtype[e.ftype&7]
	}
	return DirEntry{Name: string(e.name), Ino: e.ino, Type: t, Next: next}
}

// hashCookie marks cookies that are hash positions rather than offsets.
// Bit 63 stays clear so that cookies are valid, positive off_t values
// (getdents d_off, lseek, telldir).
const hashCookie = 1 << 62

// readDirHashed lists a directory in (major, minor) hash order. A
// directory that lost its index since the listing began is hashed with
// the filesystem's default hash, which is what indexed it.
func (fs *FS) readDirHashed(d *inode, cookie uint64, max int) ([]DirEntry, error) {
	ver := fs.sb.raw[sbDefHash]
	if d.flags()&flagIndex != 0 {
		root, err := fs.dirRoot(d)
		if err != nil {
			return nil, err
		}
		ver = root[24+4]
	}
	type hashed struct {
		pos uint64
		e   rawEntry
	}
	var all []hashed
	err := fs.forEachEntry(d, func(e rawEntry) bool {
		var pos uint64
		switch string(e.name) {
		case ".":
			pos = hashCookie
		case "..":
			pos = hashCookie | 1<<31
		default:
			major, minor, _ := fs.dirHash2(e.name, ver)
			pos = hashCookie | uint64(major>>1)<<31 | uint64(minor>>1)
		}
		if pos >= cookie {
			e.name = append([]byte(nil), e.name...)
			all = append(all, hashed{pos, e})
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].pos < all[j].pos })
	var out []DirEntry
	for k, h := range all {
		if max > 0 && len(out) >= max && h.pos != all[k-1].pos {
			break
		}
		out = append(out, fs.dirEntry(h.e, h.pos+1))
	}
	return out, nil
}

// Statfs describes the filesystem's capacity.
type Statfs struct {
	BlockSize   int64
	Blocks      uint64
	FreeBlocks  uint64
	AvailBlocks uint64 // free blocks minus the root reserve
	Files       uint64
	FreeFiles   uint64
	NameLen     int
}

// Statfs returns capacity figures summed from the group descriptors.
func (fs *FS) Statfs() (Statfs, error) {
	if err := fs.rlock(); err != nil {
		return Statfs{}, err
	}
	defer fs.mu.RUnlock()
	st := Statfs{BlockSize: fs.sb.blockSize, Blocks: fs.sb.blocksCount, Files: uint64(fs.sb.inodesCount), NameLen: 255}
	for g := uint32(0); g < fs.sb.groups; g++ {
		st.FreeBlocks += uint64(fs.gt.freeBlocks(g))
		st.FreeFiles += uint64(fs.gt.freeInodes(g))
	}
	if r := fs.sb.reservedBlocks(); st.FreeBlocks > r {
		st.AvailBlocks = st.FreeBlocks - r
	}
	return st, nil
}
