package ext4

// DxLookup exposes the htree lookup to tests: usable is false when the
// index could not be used.
func (fs *FS) DxLookup(dir uint32, name string) (ino uint32, found, usable bool) {
	d, err := fs.inode(dir)
	if err != nil || d.flags()&flagIndex == 0 {
		return 0, false, false
	}
	e, found, usable := fs.dxFind(d, []byte(name))
	return e.ino, found, usable
}
