// Package crash_test is make test-crash: it boots Aramid on a writable
// copy of the root image, runs crashload (a static C program that writes
// and fsyncs files and prints which are durable) and kills QEMU at a
// random moment, CRASH_KILLS times on the same image. After each kill it
// checks a copy of the image replayed by our ext4 engine and another
// replayed by e2fsck: both must be e2fsck-clean and hold every file
// crashload reported durable, intact. The next boot starts from the
// image as the kill left it, so vfsd replays the journal in Aramid, and
// crashload checks the earlier boot's files there too. One kill in five
// comes during boot, while vfsd may be replaying.
package crash_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"aramid/servers/vfsd/blockdev"
	"aramid/servers/vfsd/ext4"
	"aramid/servers/vfsd/jbd2"
	"aramid/test/qemu"
)

func TestCrashLoop(t *testing.T) {
	kernel, bundle, boot := os.Getenv("ARAMID_KERNEL"), os.Getenv("ARAMID_BUNDLE"), os.Getenv("ARAMID_APPEND")
	root, devices := os.Getenv("ARAMID_ROOT"), os.Getenv("ARAMID_DEVICES")
	if kernel == "" || bundle == "" || boot == "" || root == "" || devices == "" {
		t.Skip("ARAMID_KERNEL, ARAMID_BUNDLE, ARAMID_APPEND, ARAMID_ROOT and ARAMID_DEVICES not set; run make test-crash")
	}
	kills, _ := strconv.Atoi(os.Getenv("CRASH_KILLS"))
	kills = max(kills, 1)
	dir := t.TempDir()
	img := filepath.Join(dir, "disk.ext4")
	copyFile(t, root, img)
	var durableTotal, replayedTxns, verified int
	durable := map[string]bool{}
	for k := 0; k < kills; k++ {
		r := runOnce(t, kernel, bundle, boot, strings.ReplaceAll(devices, "@IMG@", img), k, durable)
		durableTotal += r.synced
		verified += r.verified
		ours := filepath.Join(dir, "ours.ext4")
		copyFile(t, img, ours)
		if _, err := checkImage(ours, true, r); err != nil {
			t.Fatalf("kill %d at %s: our replay in memory: %v", k, r.at, err)
		}
		st, err := checkImage(ours, false, r)
		if err != nil {
			t.Fatalf("kill %d at %s: our replay: %v", k, r.at, err)
		}
		replayedTxns += st.Transactions
		if out, err := exec.Command("e2fsck", "-fn", ours).CombinedOutput(); err != nil {
			t.Fatalf("kill %d: e2fsck -fn after our replay: %v\n%s", k, err, out)
		}
		theirs := filepath.Join(dir, "theirs.ext4")
		copyFile(t, img, theirs)
		if err := e2fsckReplay(theirs); err != nil {
			t.Fatalf("kill %d: %v", k, err)
		}
		if _, err := checkImage(theirs, true, r); err != nil {
			t.Fatalf("kill %d: after e2fsck's replay: %v", k, err)
		}
		t.Logf("CRASH kill=%d at=%s durable=%d synced=%d verified_in_guest=%d replayed_transactions=%d replayed_blocks=%d fsck=clean",
			k, r.at, len(durable), r.synced, r.verified, st.Transactions, st.Blocks)
	}
	t.Logf("CRASH kills=%d files_synced=%d verified_in_guest=%d replayed_transactions=%d: all e2fsck-clean after both replays, every synced file intact",
		kills, durableTotal, verified, replayedTxns)
}

// result is what one boot's crashload said before the kill.
type result struct {
	durable  map[string]bool // reported durable and not being removed, over all boots so far
	synced   int             // files reported durable in this boot
	verified int             // files of earlier boots crashload checked
	at       string          // when the kill came
}

// runOnce boots and kills QEMU at a random moment: one time in five
// during the boot (up to 2 s after QEMU started), otherwise up to 6 s
// after crashload started (a few to a few dozen files). It updates
// durable from what crashload printed.
func runOnce(t *testing.T, kernel, bundle, boot, devices string, k int, durable map[string]bool) result {
	args := append([]string{"-initrd", bundle}, strings.Fields(devices)...)
	vm, err := qemu.Start(kernel, fmt.Sprintf("%s linuxd,/test/crashload,%d!!", boot, k), args...)
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Kill()
	r := result{durable: durable}
	if rand.IntN(5) == 0 {
		after := time.Duration(rand.Int64N(int64(2 * time.Second)))
		time.Sleep(after)
		r.at = fmt.Sprintf("boot+%v", after.Round(time.Millisecond))
	} else {
		if _, _, err := vm.WaitFor("crashload: started", 3*time.Minute); err != nil {
			t.Fatalf("boot %d: %v\n%s", k, err, vm.Output())
		}
		after := time.Duration(rand.Int64N(int64(6 * time.Second)))
		time.Sleep(after)
		r.at = fmt.Sprintf("start+%v", after.Round(time.Millisecond))
	}
	vm.Kill()
	for _, l := range strings.Split(vm.Output(), "\n") {
		f := strings.Fields(l)
		switch {
		case strings.Contains(l, "FAIL"), strings.Contains(l, "panic"), strings.Contains(l, "KERNEL FAULT"):
			t.Fatalf("boot %d: %s\n%s", k, l, vm.Output())
		case len(f) == 2 && f[0] == "DURABLE":
			durable[f[1]] = true
			r.synced++
		case len(f) == 2 && f[0] == "REMOVING":
			delete(durable, f[1])
		case strings.HasPrefix(l, "crashload: verified "):
			r.verified, _ = strconv.Atoi(f[2])
		}
	}
	return r
}

// e2fsckReplay lets e2fsck replay the journal and then requires a clean
// check.
func e2fsckReplay(img string) error {
	err := exec.Command("e2fsck", "-fy", "-E", "journal_only", img).Run()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1) {
		return fmt.Errorf("e2fsck -E journal_only: %v", err)
	}
	if out, err := exec.Command("e2fsck", "-fn", img).CombinedOutput(); err != nil {
		return fmt.Errorf("e2fsck -fn after e2fsck's replay: %v\n%s", err, out)
	}
	return nil
}

// checkImage mounts img (replaying its journal, in memory if ro) and requires
// every durable file to be intact, and every complete file in /crash to
// hold what its name says.
func checkImage(img string, ro bool, r result) (jbd2.Stats, error) {
	dev, err := blockdev.OpenFile(img, ro)
	if err != nil {
		return jbd2.Stats{}, err
	}
	defer dev.Close()
	fs, err := ext4.Open(dev, ext4.Options{ReadOnly: ro})
	if err != nil {
		return jbd2.Stats{}, err
	}
	st := fs.Replayed()
	err = checkFiles(fs, r)
	if cerr := fs.Close(); err == nil {
		err = cerr
	}
	return st, err
}

func checkFiles(fs *ext4.FS, r result) error {
	dir, err := fs.Lookup(fs.Root(), "crash")
	if errors.Is(err, syscall.ENOENT) && len(r.durable) == 0 {
		return nil // killed before crashload made it
	}
	if err != nil {
		return fmt.Errorf("/crash: %v", err)
	}
	seen := map[string]bool{}
	for cookie := uint64(0); ; {
		ents, err := fs.ReadDir(dir, cookie, 64)
		if err != nil {
			return err
		}
		if len(ents) == 0 {
			break
		}
		for _, e := range ents {
			cookie = e.Next
			if e.Name == "." || e.Name == ".." || strings.HasSuffix(e.Name, ".tmp") {
				continue
			}
			seen[e.Name] = true
			if err := checkFile(fs, e.Ino, e.Name); err != nil {
				return err
			}
		}
	}
	for name := range r.durable {
		if !seen[name] {
			return fmt.Errorf("durable file /crash/%s is missing", name)
		}
	}
	return nil
}

// checkFile compares file ino with the contents crashload gives name.
func checkFile(fs *ext4.FS, ino uint32, name string) error {
	var boot, step, size uint32
	if _, err := fmt.Sscanf(name, "b%d-%d-%d", &boot, &step, &size); err != nil {
		return fmt.Errorf("/crash/%s: unexpected name", name)
	}
	got := make([]byte, size+1)
	n, err := fs.ReadAt(ino, got, 0)
	if err != nil && err != io.EOF {
		return fmt.Errorf("/crash/%s: %v", name, err)
	}
	want := make([]byte, size)
	for i := range want {
		want[i] = fill(boot, step, uint32(i))
	}
	if !bytes.Equal(got[:n], want) {
		return fmt.Errorf("/crash/%s: %d bytes, not what crashload wrote", name, n)
	}
	return nil
}

// fill is crashload.c's fill: byte i of file (boot, step).
func fill(boot, step, i uint32) byte {
	x := boot*2654435761 ^ step*40503 ^ i*2246822519
	x ^= x >> 15
	x *= 2654435761
	return byte(x >> 24)
}

func copyFile(t *testing.T, from, to string) {
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
