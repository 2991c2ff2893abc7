package ext4

import "math/bits"

// htree lookup: hash the name the way the directory was indexed, descend
// the index to one leaf block and scan only that leaf (and its successors
// while the hash continues there). Any inconsistency in the index makes
// the caller fall back to scanning every block, which is always correct.

const (
	sbHashSeed     = 0xEC
	sbDefHash      = 0xFC
	sbFlags        = 0x160
	flagSignedHash = 0x1
	flagUnsigned   = 0x2
	htreeEOF32     = 0x7fffffff
)

// dirHash computes the (major) htree hash of name for hash version v.
func (fs *FS) dirHash(name []byte, v uint8) (uint32, bool) {
	h, _, ok := fs.dirHash2(name, v)
	return h, ok
}

// dirHash2 computes the major and minor htree hashes of name.
func (fs *FS) dirHash2(name []byte, v uint8) (uint32, uint32, bool) {
	s := fs.sb
	if v <= 2 && s.u32(sbFlags)&flagUnsigned != 0 {
		v += 3
	}
	seed := [4]uint32{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476}
	if s.u32(sbHashSeed)|s.u32(sbHashSeed+4)|s.u32(sbHashSeed+8)|s.u32(sbHashSeed+12) != 0 {
		for k := range seed {
			seed[k] = s.u32(sbHashSeed + 4*k)
		}
	}
	var h, minor uint32
	switch v {
	case 0, 3:
		h = dxHackHash(name, v == 0)
	case 1, 4:
		buf := seed
		var in [8]uint32
		for p := name; ; p = p[32:] {
			str2hashbuf(p, in[:], v == 1)
			halfMD4(&buf, &in)
			if len(p) <= 32 {
				break
			}
		}
		h, minor = buf[1], buf[2]
	case 2, 5:
		buf := seed
		var in [4]uint32
		for p := name; ; p = p[16:] {
			str2hashbuf(p, in[:], v == 2)
			tea(&buf, &in)
			if len(p) <= 16 {
				break
			}
		}
		h, minor = buf[0], buf[1]
	default:
		return 0, 0, false
	}
	h &^= 1
	if h == htreeEOF32<<1 {
		h = (htreeEOF32 - 1) << 1
	}
	return h, minor, true
}

func dxHackHash(name []byte, signed bool) uint32 {
	h0, h1 := uint32(0x12a3fe2d), uint32(0x37abe8f9)
	for _, c := range name {
		x := uint32(c)
		if signed {
			x = uint32(int32(int8(c)))
		}
		h := h1 + (h0 ^ x*7152373)
		if h&0x80000000 != 0 {
			h -= 0x7fffffff
		}
		h1, h0 = h0, h
	}
	return h0 << 1
}

func str2hashbuf(msg []byte, out []uint32, signed bool) {
	n := len(msg)
	pad := uint32(n) | uint32(n)<<8
	pad |= pad << 16
	val := pad
	if n > 4*len(out) {
		n = 4 * len(out)
	}
	k := 0
	for i := 0; i < n; i++ {
		c := uint32(msg[i])
		if signed {
			c = uint32(int32(int8(msg[i])))
		}
		val = c + val<<8
		if i%4 == 3 {
			out[k] = val
			k++
			val = pad
		}
	}
	if k < len(out) {
		out[k] = val
		k++
	}
	for ; k < len(out); k++ {
		out[k] = pad
	}
}

func halfMD4(buf *[4]uint32, in *[8]uint32) {
	const k2, k3 = 0x5A827999, 0x6ED9EBA1
	f := func(x, y, z uint32) uint32 { return z ^ (x & (y ^ z)) }
	g := func(x, y, z uint32) uint32 { return (x & y) + ((x ^ y) & z) }
	h := func(x, y, z uint32) uint32 { return x ^ y ^ z }
	a, b, c, d := buf[0], buf[1], buf[2], buf[3]
	type step struct {
		fn   func(x, y, z uint32) uint32
		k    uint32
		idx  [8]int
		rots [4]int
	}
	for _, r := range []step{
		{f, 0, [8]int{0, 1, 2, 3, 4, 5, 6, 7}, [4]int{3, 7, 11, 19}},
		{g, k2, [8]int{1, 3, 5, 7, 0, 2, 4, 6}, [4]int{3, 5, 9, 13}},
		{h, k3, [8]int{3, 7, 2, 6, 1, 5, 0, 4}, [4]int{3, 9, 11, 15}},
	} {
		for i := 0; i < 8; i += 4 {
			a = bits.RotateLeft32(a+r.fn(b, c, d)+in[r.idx[i]]+r.k, r.rots[0])
			d = bits.RotateLeft32(d+r.fn(a, b, c)+in[r.idx[i+1]]+r.k, r.rots[1])
			c = bits.RotateLeft32(c+r.fn(d, a, b)+in[r.idx[i+2]]+r.k, r.rots[2])
			b = bits.RotateLeft32(b+r.fn(c, d, a)+in[r.idx[i+3]]+r.k, r.rots[3])
		}
	}
	buf[0] += a
	buf[1] += b
	buf[2] += c
	buf[3] += d
}

func tea(buf *[4]uint32, in *[4]uint32) {
	var sum uint32
	b0, b1 := buf[0], buf[1]
	a, b, c, d := in[0], in[1], in[2], in[3]
	for n := 0; n < 16; n++ {
		sum += 0x9E3779B9
		b0 += ((b1 << 4) + a) ^ (b1 + sum) ^ ((b1 >> 5) + b)
		b1 += ((b0 << 4) + c) ^ (b0 + sum) ^ ((b0 >> 5) + d)
	}
	buf[0] += b0
	buf[1] += b1
}

// dxFind looks name up through directory d's htree index. ok is false if
// the index cannot be used (then the caller scans linearly); otherwise
// found reports whether the name exists.
func (fs *FS) dxFind(d *inode, name []byte) (e rawEntry, found, ok bool) {
	bs := uint64(fs.sb.blockSize)
	block := func(l uint64) []byte {
		if l >= d.size()/bs {
			return nil
		}
		exts, err := fs.mapRange(d, l, l+1)
		if err != nil || len(exts) != 1 || exts[0].uninit {
			return nil
		}
		b, err := fs.readBlock(exts[0].pblk + l - uint64(exts[0].lblk))
		if err != nil {
			return nil
		}
		return b
	}
	root := block(0)
	if root == nil || root[24+5] != 8 {
		return e, false, false
	}
	hash, known := fs.dirHash(name, root[24+4])
	levels := int(root[24+6])
	if !known || levels > 3 {
		return e, false, false
	}
	// upNext is the hash of the next index entry in the nearest ancestor
	// that has one: a collision continuing past the end of a node
	// continues there.
	node, off := root, 32
	var upNext uint32
	hasUp := false
	for {
		limit, count := int(le.Uint16(node[off:])), int(le.Uint16(node[off+2:]))
		if count == 0 || count > limit || off+8*limit > len(node) {
			return e, false, false
		}
		at := 0
		for k := 1; k < count && le.Uint32(node[off+8*k:]) <= hash; k++ {
			at = k
		}
		child := uint64(le.Uint32(node[off+8*at+4:]) & 0x0FFFFFFF)
		if levels > 0 {
			if at+1 < count {
				upNext, hasUp = le.Uint32(node[off+8*(at+1):]), true
			}
			if node = block(child); node == nil {
				return e, false, false
			}
			off, levels = 8, levels-1
			continue
		}
		// Scan the leaf, then following leaves while the next index
		// entry continues the same hash (collision bit set).
		for {
			b := block(child)
			if b == nil || !fs.cachedDirBlockOK(d, b) {
				return e, false, false
			}
			if err := fs.entries(b, child*bs, func(x rawEntry) bool {
				if x.ino != 0 && string(x.name) == string(name) {
					e, found = x, true
				}
				return !found
			}); err != nil {
				return e, false, false
			}
			if found {
				return e, true, true
			}
			if at+1 >= count {
				// A continuation into the next index node is rare
				// enough to leave to the linear scan.
				return e, false, !hasUp || upNext&1 == 0 || upNext&^1 != hash
			}
			next := le.Uint32(node[off+8*(at+1):])
			if next&1 == 0 || next&^1 != hash {
				return e, false, true
			}
			at++
			child = uint64(le.Uint32(node[off+8*at+4:]) & 0x0FFFFFFF)
		}
	}
}
