package ext4_test

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"aramid/servers/vfsd/ext4"
)

// TestJournalUnsupportedReadOnly: an image whose journal uses a feature
// we do not write (checksums v2 here) is mounted read-only, with the
// reason.
func TestJournalUnsupportedReadOnly(t *testing.T) {
	needTools(t)
	img := filepath.Join(t.TempDir(), "img")
	mkfs(t, img, "", 8<<10, "-t", "ext4", "-b", "1024")
	blk, err := strconv.Atoi(strings.TrimSpace(stdout(t, "debugfs", "-R", "bmap <8> 0", img)))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], 0x8) // JBD2_FEATURE_INCOMPAT_CSUM_V2
	_, err = f.WriteAt(b[:], int64(blk)*1024+0x28)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	fs, dev := openImage(t, img, false)
	defer dev.Close()
	defer fs.Close()
	if r := fs.ReadOnlyReason(); !strings.Contains(r, "journal") {
		t.Errorf("ReadOnlyReason = %q, want the journal named", r)
	}
	if _, err := fs.Mkdir(fs.Root(), "d", 0o755, 0, 0); err == nil {
		t.Error("Mkdir succeeded on a read-only image")
	}
}

// TestJournalTimedCommit: a change nobody syncs is durable after the
// commit interval.
func TestJournalTimedCommit(t *testing.T) {
	needTools(t)
	dir := t.TempDir()
	img := filepath.Join(dir, "img")
	mkfs(t, img, "", 8<<10, "-t", "ext4", "-b", "1024")
	base, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	dev := newCrashDev(base, -1)
	fs, err := ext4.Open(dev, ext4.Options{CommitInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	if _, err := fs.Mkdir(fs.Root(), "late", 0o755, 0, 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	// The power goes now: only what was flushed counts.
	if err := os.WriteFile(img, dev.image(func() bool { return false }), 0o644); err != nil {
		t.Fatal(err)
	}
	after, dev2 := openImage(t, img, false)
	defer dev2.Close()
	defer after.Close()
	if _, err := after.Lookup(after.Root(), "late"); err != nil {
		t.Errorf("directory made before the commit interval: %v", err)
	}
	if after.Replayed().Transactions == 0 {
		t.Error("nothing replayed")
	}
}
