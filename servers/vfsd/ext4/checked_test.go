package ext4

import "testing"

// TestCheckedOnce: a block verifies by its check once per seed; a failure
// is not remembered, and the memory stays bounded.
func TestCheckedOnce(t *testing.T) {
	var c checked
	runs := 0
	pass := func() bool { runs++; return true }
	fail := func() bool { runs++; return false }
	b := make([]byte, 4096)
	for range 3 {
		if !c.once(b, 1, pass) {
			t.Fatal("a good block failed")
		}
	}
	if runs != 1 {
		t.Errorf("the check ran %d times for one block and seed, want 1", runs)
	}
	first, second := c.once(b, 2, fail), c.once(b, 2, fail)
	if first || second || runs != 3 {
		t.Errorf("another seed: the check ran %d times in all, want 3, and must fail", runs)
	}
	other := make([]byte, 4096)
	if c.once(other, 1, fail) {
		t.Error("another block passed on the first one's record")
	}
	for range 2 * checkedMax {
		c.once(make([]byte, 16), 1, pass)
	}
	if len(c.m) > checkedMax {
		t.Errorf("%d blocks remembered, want at most %d", len(c.m), checkedMax)
	}
}
