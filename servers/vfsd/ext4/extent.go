package ext4

import (
	"sort"
	"syscall"
)

const (
	extMagic    = 0xF30A
	extMaxDepth = 5
	extInitMax  = 32768 // longest initialised extent
	maxLblk     = 1<<32 - 1
)

// extent maps n logical blocks starting at lblk to physical blocks from
// pblk. Uninitialised extents read as zeros.
type extent struct {
	lblk   uint32
	pblk   uint64
	n      uint32
	uninit bool
}

func (e extent) end() uint64 { return uint64(e.lblk) + uint64(e.n) }

// treeNode is one node of an extent tree: its header plus entries.
type treeNode struct {
	depth   int
	entries int
	max     int
	b       []byte // header at b[0:12], entries follow
}

func parseNode(b []byte, wantDepth int) (treeNode, error) {
	if len(b) < 12 || le.Uint16(b) != extMagic {
		return treeNode{}, syscall.EIO
	}
	n := treeNode{entries: int(le.Uint16(b[2:])), max: int(le.Uint16(b[4:])), depth: int(le.Uint16(b[6:])), b: b}
	if n.max*12+12 > len(b) || n.entries > n.max || n.depth > extMaxDepth ||
		wantDepth >= 0 && n.depth != wantDepth {
		return treeNode{}, syscall.EIO
	}
	return n, nil
}

func (n treeNode) entry(k int) []byte { return n.b[12+12*k : 24+12*k] }

func leafExtent(e []byte) extent {
	x := extent{
		lblk: le.Uint32(e),
		n:    uint32(le.Uint16(e[4:])),
		pblk: uint64(le.Uint16(e[6:]))<<32 | uint64(le.Uint32(e[8:])),
	}
	if x.n > extInitMax {
		x.n -= extInitMax
		x.uninit = true
	}
	return x
}

func indexChild(e []byte) (lblk uint32, pblk uint64) {
	return le.Uint32(e), uint64(le.Uint16(e[8:]))<<32 | uint64(le.Uint32(e[4:]))
}

// walkExtents calls leaf for every extent overlapping [from, to) in logical
// order, and node for every tree block (index or leaf) visited. It checks
// the tree's structure as it goes, so corrupt trees give EIO.
func (fs *FS) walkExtents(in *inode, from, to uint64, leaf func(extent) error, node func(uint64) error) error {
	root, err := parseNode(in.b[inBlock:inBlock+inBlockLen], -1)
	if err != nil {
		return err
	}
	w := walker{fs: fs, in: in, from: from, to: to, leaf: leaf, node: node}
	return w.walk(root)
}

// walker carries one tree walk's state; seen rejects trees whose index
// entries point at the same block twice, which would otherwise multiply
// the work of a walk exponentially.
type walker struct {
	fs       *FS
	in       *inode
	from, to uint64
	leaf     func(extent) error
	node     func(uint64) error
	seen     map[uint64]bool
}

func (w *walker) walk(n treeNode) error {
	fs, from, to, leaf, node := w.fs, w.from, w.to, w.leaf, w.node
	if n.depth == 0 {
		for k := 0; k < n.entries; k++ {
			e := leafExtent(n.entry(k))
			if e.end() > from && uint64(e.lblk) < to && e.n > 0 {
				if e.pblk < fs.sb.firstData || e.pblk+uint64(e.n) > fs.sb.blocksCount {
					return syscall.EIO
				}
				if err := leaf(e); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for k := 0; k < n.entries; k++ {
		lblk, pblk := indexChild(n.entry(k))
		if uint64(lblk) >= to {
			break
		}
		if k+1 < n.entries {
			if next, _ := indexChild(n.entry(k + 1)); uint64(next) <= from {
				continue
			}
		}
		if w.seen == nil {
			w.seen = map[uint64]bool{}
		}
		if w.seen[pblk] {
			return syscall.EIO
		}
		w.seen[pblk] = true
		if node != nil {
			if err := node(pblk); err != nil {
				return err
			}
		}
		b, err := fs.readBlock(pblk)
		if err != nil {
			return err
		}
		child, err := parseNode(b, n.depth-1)
		if err != nil {
			return err
		}
		if !fs.extentsOK.once(b, fs.inodeSeed(w.in), func() bool { return fs.extentBlockOK(w.in, b, child) }) {
			return syscall.EIO
		}
		if err := w.walk(child); err != nil {
			return err
		}
	}
	return nil
}

// mapRange returns the extents covering logical blocks [from, to), sorted;
// gaps are holes. It works for extent and indirect-block inodes.
func (fs *FS) mapRange(in *inode, from, to uint64) ([]extent, error) {
	var out []extent
	if in.flags()&flagExtents == 0 {
		return fs.mapIndirect(in, from, to)
	}
	err := fs.walkExtents(in, from, to, func(e extent) error {
		if len(out) > 0 && uint64(e.lblk) < out[len(out)-1].end() {
			return syscall.EIO // overlapping or unsorted extents
		}
		out = append(out, e)
		return nil
	}, nil)
	return out, err
}

// mapIndirect maps blocks of an ext2/ext3-style inode (12 direct blocks,
// then single, double and triple indirect blocks).
func (fs *FS) mapIndirect(in *inode, from, to uint64) ([]extent, error) {
	per := uint64(fs.sb.blockSize / 4)
	var out []extent
	seen := map[uint64]bool{}
	add := func(l, p uint64) {
		if n := len(out); n > 0 && out[n-1].end() == l && out[n-1].pblk+uint64(out[n-1].n) == p {
			out[n-1].n++
			return
		}
		out = append(out, extent{lblk: uint32(l), pblk: p, n: 1})
	}
	// walk visits the subtree rooted at block ptr, which maps per^level
	// blocks starting at logical block base.
	var walk func(ptr uint64, level int, base, span uint64) error
	walk = func(ptr uint64, level int, base, span uint64) error {
		if ptr == 0 || base >= to || base+span <= from {
			return nil
		}
		if ptr >= fs.sb.blocksCount {
			return syscall.EIO
		}
		if level == 0 {
			add(base, ptr)
			return nil
		}
		if seen[ptr] {
			return syscall.EIO
		}
		seen[ptr] = true
		b, err := fs.readBlock(ptr)
		if err != nil {
			return err
		}
		sub := span / per
		for k := uint64(0); k < per; k++ {
			if err := walk(uint64(le.Uint32(b[4*k:])), level-1, base+k*sub, sub); err != nil {
				return err
			}
		}
		return nil
	}
	for k := uint64(0); k < 12; k++ {
		if err := walk(uint64(in.u32(inBlock+4*int(k))), 0, k, 1); err != nil {
			return nil, err
		}
	}
	base, span := uint64(12), per
	for level := 1; level <= 3; level++ {
		if err := walk(uint64(in.u32(inBlock+4*(11+level))), level, base, span); err != nil {
			return nil, err
		}
		base += span
		span *= per
	}
	return out, nil
}

// allExtents returns the whole mapping of an extent inode plus the tree
// blocks (index and leaf nodes below the inode) that hold it.
func (fs *FS) allExtents(in *inode) ([]extent, []uint64, error) {
	var exts []extent
	var nodes []uint64
	err := fs.walkExtents(in, 0, maxLblk+1, func(e extent) error {
		if len(exts) > 0 && uint64(e.lblk) < exts[len(exts)-1].end() {
			return syscall.EIO
		}
		exts = append(exts, e)
		return nil
	}, func(b uint64) error {
		nodes = append(nodes, b)
		return nil
	})
	return exts, nodes, err
}

// normalize sorts extents and merges neighbours that are contiguous both
// logically and physically and have the same state.
func normalize(exts []extent) []extent {
	sort.Slice(exts, func(a, b int) bool { return exts[a].lblk < exts[b].lblk })
	out := exts[:0]
	for _, e := range exts {
		if e.n == 0 {
			continue
		}
		if k := len(out) - 1; k >= 0 {
			p := &out[k]
			limit := uint32(extInitMax)
			if p.uninit {
				limit--
			}
			if p.uninit == e.uninit && p.end() == uint64(e.lblk) && p.pblk+uint64(p.n) == e.pblk && p.n+e.n <= limit {
				p.n += e.n
				continue
			}
		}
		out = append(out, e)
	}
	return out
}

// punch removes logical blocks [from, to) from exts, returning the new
// list and the physical runs that were unmapped.
func punch(exts []extent, from, to uint64) (kept, freed []extent) {
	for _, e := range exts {
		if e.end() <= from || uint64(e.lblk) >= to {
			kept = append(kept, e)
			continue
		}
		if uint64(e.lblk) < from {
			kept = append(kept, extent{lblk: e.lblk, pblk: e.pblk, n: uint32(from - uint64(e.lblk)), uninit: e.uninit})
		}
		lo, hi := max(uint64(e.lblk), from), min(e.end(), to)
		freed = append(freed, extent{lblk: uint32(lo), pblk: e.pblk + lo - uint64(e.lblk), n: uint32(hi - lo), uninit: e.uninit})
		if e.end() > to {
			kept = append(kept, extent{lblk: uint32(to), pblk: e.pblk + to - uint64(e.lblk), n: uint32(e.end() - to), uninit: e.uninit})
		}
	}
	return kept, freed
}

// extentBlockOK verifies an extent tree block's checksum (metadata_csum).
func (fs *FS) extentBlockOK(in *inode, b []byte, n treeNode) bool {
	if !fs.sb.metaCsum() {
		return true
	}
	t := 12 + 12*n.max
	return t+4 <= len(b) && crc32c(fs.inodeSeed(in), b[:t]) == le.Uint32(b[t:])
}
