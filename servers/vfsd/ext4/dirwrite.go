package ext4

import "syscall"

// entrySize is the space a directory entry with an n-byte name needs.
func entrySize(n int) int { return (8 + n + 3) &^ 3 }

func (fs *FS) putEntry(b []byte, ino uint32, recLen int, name string, ftype uint8) {
	le.PutUint32(b, ino)
	fs.putRecLen(b[4:], recLen)
	b[6] = byte(len(name))
	b[7] = 0
	if fs.sb.hasFiletype() {
		b[7] = ftype
	}
	copy(b[8:], name)
}

// storeDirBlock checksums directory block b of d and writes it.
func (fs *FS) storeDirBlock(d *inode, pblk uint64, b []byte) error {
	if fs.hasTail(b) {
		n := len(b) - 12
		le.PutUint32(b[n+8:], crc32c(fs.inodeSeed(d), b[:n]))
	}
	return fs.writeBlock(pblk, b)
}

// emptyDirBlock returns a directory block with one unused entry spanning
// it (and a checksum tail with metadata_csum).
func (fs *FS) emptyDirBlock() []byte {
	b := make([]byte, fs.sb.blockSize)
	n := len(b)
	if fs.sb.metaCsum() {
		n -= 12
		le.PutUint16(b[n+4:], 12)
		b[n+7] = 0xDE
	}
	fs.putRecLen(b[4:], n)
	return b
}

// unindex turns an htree directory into a linear one: the index blocks
// become empty directory blocks (the root keeps "." and ".."), and the
// index flag is cleared. Every entry lives in leaf blocks, so nothing is
// lost, and cookies (positions) of entries do not change.
func (fs *FS) unindex(d *inode) error {
	if d.flags()&flagIndex == 0 {
		return nil
	}
	bs := uint64(fs.sb.blockSize)
	nblk := d.size() / bs
	lookup := func(l uint64) (uint64, error) {
		exts, err := fs.mapRange(d, l, l+1)
		if err != nil || len(exts) == 0 || l >= nblk {
			return 0, syscall.EIO
		}
		return exts[0].pblk + l - uint64(exts[0].lblk), nil
	}
	rootP, err := lookup(0)
	if err != nil {
		return err
	}
	root, err := fs.readBlock(rootP)
	if err != nil {
		return err
	}
	infoLen, levels := int(root[24+5]), int(root[24+6])
	if levels > 3 || 24+infoLen+8 > len(root) {
		return syscall.EIO
	}
	// children lists the blocks referenced by the index node in b whose
	// entries start at off.
	children := func(b []byte, off int) ([]uint64, error) {
		limit, count := int(le.Uint16(b[off:])), int(le.Uint16(b[off+2:]))
		if count > limit || off+8*limit > len(b) {
			return nil, syscall.EIO
		}
		var out []uint64
		for k := 0; k < count; k++ {
			out = append(out, uint64(le.Uint32(b[off+8*k+4:])&0x0FFFFFFF))
		}
		return out, nil
	}
	level, err := children(root, 24+infoLen)
	if err != nil {
		return err
	}
	var nodes []uint64
	for ; levels > 0; levels-- {
		var next []uint64
		for _, l := range level {
			p, err := lookup(l)
			if err != nil {
				return err
			}
			b, err := fs.readBlock(p)
			if err != nil {
				return err
			}
			c, err := children(b, 8)
			if err != nil {
				return err
			}
			nodes = append(nodes, p)
			next = append(next, c...)
		}
		level = next
	}
	for _, p := range nodes {
		if err := fs.storeDirBlock(d, p, fs.emptyDirBlock()); err != nil {
			return err
		}
	}
	nb := fs.emptyDirBlock()
	copy(nb, root[:12])
	last := len(nb) - 12
	if fs.sb.metaCsum() {
		last -= 12
	}
	fs.putEntry(nb[12:], le.Uint32(root[12:]), last, "..", 2)
	if err := fs.storeDirBlock(d, rootP, nb); err != nil {
		return err
	}
	d.put32(inFlags, d.flags()&^flagIndex)
	return fs.writeInode(d)
}

// addEntry links name to ino in directory d, reusing slack in existing
// blocks or appending a block. The caller has checked that name is absent.
// d is written back.
func (fs *FS) addEntry(d *inode, name string, ino uint32, ftype uint8) error {
	if d.flags()&flagInlineData != 0 {
		return syscall.EOPNOTSUPP
	}
	if d.flags()&flagIndex != 0 {
		done, err := fs.dxAdd(d, name, ino, ftype)
		if err != nil || done {
			if err == nil {
				fs.touch(d, false, true, true)
				err = fs.writeInode(d)
			}
			return err
		}
	}
	if err := fs.unindex(d); err != nil {
		return err
	}
	need := entrySize(len(name))
	done := false
	var lastP uint64
	err := fs.dirBlocks(d, func(_ uint32, pblk uint64, shared []byte) (bool, error) {
		lastP = pblk
		var at rawEntry
		found := false
		err := fs.entries(shared, 0, func(e rawEntry) bool {
			used := 0
			if e.ino != 0 {
				used = entrySize(len(e.name))
			}
			if e.recLen-used >= need {
				at, found = e, true
				return false
			}
			return true
		})
		if err != nil || !found {
			return true, err
		}
		b := append([]byte(nil), shared...)
		if at.ino == 0 {
			fs.putEntry(b[at.off:], ino, at.recLen, name, ftype)
		} else {
			used := entrySize(len(at.name))
			fs.putRecLen(b[at.off+4:], used)
			fs.putEntry(b[at.off+used:], ino, at.recLen-used, name, ftype)
		}
		done = true
		return false, fs.storeDirBlock(d, pblk, b)
	})
	if err != nil || done {
		if err == nil {
			fs.touch(d, false, true, true)
			err = fs.writeInode(d)
		}
		return err
	}
	b := fs.emptyDirBlock()
	fs.putEntry(b, ino, fs.recLen(le.Uint16(b[4:])), name, ftype)
	if err := fs.appendDirBlock(d, lastP+1, b); err != nil {
		return err
	}
	fs.touch(d, false, true, true)
	return fs.writeInode(d)
}

// appendDirBlock adds block b at the end of directory d.
func (fs *FS) appendDirBlock(d *inode, goal uint64, b []byte) error {
	bs := uint64(fs.sb.blockSize)
	lblk := (d.size() + bs - 1) / bs
	if lblk >= maxLblk {
		return syscall.ENOSPC
	}
	exts, nodes, err := fs.allExtents(d)
	if err != nil {
		return err
	}
	pblk, _, err := fs.allocBlocks(goal, 1)
	if err != nil {
		return err
	}
	if err := fs.storeDirBlock(d, pblk, b); err != nil {
		return err
	}
	fs.addBlocks(d, 1)
	if err := fs.setExtents(d, append(exts, extent{lblk: uint32(lblk), pblk: pblk, n: 1}), nodes); err != nil {
		fs.freeBlocks(pblk, 1)
		fs.addBlocks(d, -1)
		return err
	}
	d.setSize((lblk + 1) * bs)
	return nil
}

// editEntry finds name in directory d and applies edit to a private copy
// of its block (with the previous entry in the block, if any), then
// stores the block and d.
func (fs *FS) editEntry(d *inode, name string, edit func(b []byte, e rawEntry, prev *rawEntry)) (rawEntry, error) {
	if d.flags()&flagInlineData != 0 {
		return rawEntry{}, syscall.EOPNOTSUPP
	}
	var found rawEntry
	done := false
	err := fs.dirBlocks(d, func(lblk uint32, pblk uint64, shared []byte) (bool, error) {
		var prev *rawEntry
		var hit bool
		err := fs.entries(shared, 0, func(e rawEntry) bool {
			if e.ino != 0 && string(e.name) == name {
				found, hit = e, true
				return false
			}
			p := e
			prev = &p
			return true
		})
		if err != nil || !hit {
			return true, err
		}
		b := append([]byte(nil), shared...)
		edit(b, found, prev)
		done = true
		if lblk == 0 && d.flags()&flagIndex != 0 {
			// ".." of an indexed directory lives in the index root,
			// whose checksum covers the index, not a dirent tail.
			fs.setDxCsum(d, b, 24+int(b[24+5]))
		}
		return false, fs.storeDirBlock(d, pblk, b)
	})
	if err != nil {
		return rawEntry{}, err
	}
	if !done {
		return rawEntry{}, syscall.ENOENT
	}
	fs.touch(d, false, true, true)
	return found, fs.writeInode(d)
}

// removeEntry unlinks name from directory d: the entry's space joins the
// previous entry, or, if it is first in its block, it is marked unused.
func (fs *FS) removeEntry(d *inode, name string) (rawEntry, error) {
	return fs.editEntry(d, name, func(b []byte, e rawEntry, prev *rawEntry) {
		if prev == nil {
			le.PutUint32(b[e.off:], 0)
			return
		}
		fs.putRecLen(b[prev.off+4:], prev.recLen+e.recLen)
	})
}

// retarget points the existing entry name in d at ino.
func (fs *FS) retarget(d *inode, name string, ino uint32, ftype uint8) error {
	_, err := fs.editEntry(d, name, func(b []byte, e rawEntry, _ *rawEntry) {
		le.PutUint32(b[e.off:], ino)
		if fs.sb.hasFiletype() {
			b[e.off+7] = ftype
		}
	})
	return err
}

// isEmptyDir reports whether d holds only "." and "..".
func (fs *FS) isEmptyDir(d *inode) (bool, error) {
	empty := true
	err := fs.forEachEntry(d, func(e rawEntry) bool {
		if n := string(e.name); n != "." && n != ".." {
			empty = false
		}
		return empty
	})
	return empty, err
}
