package ext4

import "sync"

// checkedMax bounds the blocks a checked remembers, and so keeps in
// memory after the cache has let them go: 1 MiB of 4 KiB blocks.
const checkedMax = 256

// checked remembers the metadata blocks whose checksum verified, by the
// slice readBlock returned (which nobody modifies: a write replaces it)
// and the seed it verified under. A path lookup reads the same directory
// and extent blocks on every call, and checksumming them was 10 to 14% of
// vfsd's time under nginx (docs/performance.md); now a block is
// checksummed once each time it comes from the disk or a write.
type checked struct {
	mu sync.Mutex
	m  map[*byte]uint32
}

// once reports whether block b, from readBlock, verifies under seed: at
// once if it did before, else by running ok, and remembering a success.
func (c *checked) once(b []byte, seed uint32, ok func() bool) bool {
	if len(b) == 0 {
		return ok()
	}
	k := &b[0]
	c.mu.Lock()
	s, seen := c.m[k]
	c.mu.Unlock()
	if seen && s == seed {
		return true
	}
	if !ok() {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[*byte]uint32)
	}
	if _, in := c.m[k]; !in && len(c.m) >= checkedMax {
		for x := range c.m {
			delete(c.m, x)
			break
		}
	}
	c.m[k] = seed
	return true
}
