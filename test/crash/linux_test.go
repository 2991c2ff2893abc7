package crash_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"aramid/servers/vfsd/blockdev"
	"aramid/servers/vfsd/ext4"
	"aramid/test/qemu"
	"aramid/tools/cpio"
)

// linuxModules are the modules Debian's kernel needs to mount ext4 on a
// virtio disk, in load order (crc32c first: ext4 asks for it by name).
var linuxModules = []string{"crc32c_generic", "jbd2", "mbcache", "crc16", "ext4",
	"virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio_pci", "virtio_blk"}

// linuxInit is the initramfs's /init. With lxmode=crash it writes files
// s0-s19, syncs, writes and removes more, and reboots at once (QEMU
// exits, -no-reboot): the disk is left as a Linux crash leaves it. With
// lxmode=check it mounts the disk (replaying our journal), counts
// /ours, writes a file and unmounts cleanly.
const linuxInit = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t devtmpfs dev /dev
for m in MODULES; do [ -e /lib/modules/$m.ko ] && insmod /lib/modules/$m.ko; done
mount -t ext4 /dev/vda /mnt || { echo "LX: mount failed"; poweroff -f; }
dmesg | grep -E "EXT4-fs|JBD2"
case $(cat /proc/cmdline) in
*lxmode=crash*)
	mkdir /mnt/lx
	for i in $(seq 0 19); do yes "synced $i" | head -c $((i*3000+100)) > /mnt/lx/s$i; done
	sync
	for i in $(seq 0 19); do yes "late $i" | head -c $((i*2000+50)) > /mnt/lx/late$i; rm -f /mnt/lx/s$((i%3+17)); done
	echo "LX: crashing"
	echo b > /proc/sysrq-trigger ;;
*)
	echo "LX: ours has $(ls /mnt/ours | wc -l) files"
	yes linux | head -c 100000 > /mnt/fromlinux
	umount /mnt && echo "LX: clean umount"
	poweroff -f ;;
esac
`

// TestLinuxJournal checks our journal against Linux's ext4 (Debian's
// kernel from make linux-ref), both ways: an image Linux leaves with a
// journal to replay is replayed by us with every synced file intact and
// e2fsck-clean, and a journal we leave (its last transaction not yet
// written home) is replayed by Linux, which then finds every file.
func TestLinuxJournal(t *testing.T) {
	ref := os.Getenv("ARAMID_LINUX_REF")
	if ref == "" {
		t.Skip("ARAMID_LINUX_REF not set; run make test-journal-linux")
	}
	dir := t.TempDir()
	vmlinuz, initrd := linuxInitramfs(t, ref, dir)
	boot := func(img, mode, marker string) string {
		vm, err := qemu.Start(vmlinuz, "console=ttyS0 quiet lxmode="+mode, "-initrd", initrd,
			"-drive", "file="+img+",if=none,id=d,format=raw", "-device", "virtio-blk-pci,drive=d")
		if err != nil {
			t.Fatal(err)
		}
		defer vm.Kill()
		if _, _, err := vm.WaitFor(marker, 3*time.Minute); err != nil {
			t.Fatalf("Linux, %s: %v\n%s", mode, err, vm.Output())
		}
		vm.Wait(time.Minute)
		return vm.Output()
	}

	t.Run("we replay Linux", func(t *testing.T) {
		img := filepath.Join(dir, "linux.ext4")
		mkfsRoot(t, img)
		boot(img, "crash", "LX: crashing")
		fs := openImg(t, img, true)
		st := fs.Replayed()
		for i := 0; i < 17; i++ { // s17-s19 were being removed
			n := i*3000 + 100
			want := bytes.Repeat([]byte(fmt.Sprintf("synced %d\n", i)), n)[:n]
			if got := readFile(t, fs, "lx", fmt.Sprintf("s%d", i)); !bytes.Equal(got, want) {
				t.Errorf("/lx/s%d: %d bytes, not what Linux synced", i, len(got))
			}
		}
		fs.Close()
		if st.Transactions == 0 {
			t.Fatal("Linux left nothing to replay")
		}
		openImg(t, img, false).Close()
		fsck(t, img)
		t.Logf("LINUX replayed %d transactions (%d blocks) that Linux left; e2fsck clean", st.Transactions, st.Blocks)
	})

	t.Run("Linux replays us", func(t *testing.T) {
		img := filepath.Join(dir, "ours.ext4")
		mkfsRoot(t, img)
		want := leaveJournal(t, img)
		out := boot(img, "check", "LX: clean umount")
		if !strings.Contains(out, "recovery complete") || !strings.Contains(out, fmt.Sprintf("LX: ours has %d files", len(want))) {
			t.Fatalf("Linux did not replay our journal:\n%s", out)
		}
		fsck(t, img)
		fs := openImg(t, img, true)
		defer fs.Close()
		for name, data := range want {
			if got := readFile(t, fs, "ours", name); !bytes.Equal(got, data) {
				t.Errorf("/ours/%s after Linux's replay: %d bytes, not ours", name, len(got))
			}
		}
		t.Logf("LINUX Linux replayed our journal: %d files intact, e2fsck clean", len(want))
	})
}

// leaveJournal writes files in three synced batches and stops as a crash
// would after the last commit: its blocks are in the log, not home.
func leaveJournal(t *testing.T, img string) map[string][]byte {
	f, err := blockdev.OpenFile(img, false)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := &homeless{File: f, flushes: -1}
	fs, err := ext4.Open(d, ext4.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir, err := fs.Mkdir(fs.Root(), "ours", 0o755, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{}
	for i := 0; i < 30; i++ {
		name := fmt.Sprintf("f%d", i)
		want[name] = bytes.Repeat([]byte(fmt.Sprintf("ours %d\n", i)), i*500+1)
		ino, err := fs.Create(dir, name, 0o644, 0, 0)
		if err == nil {
			_, err = fs.WriteAt(ino, want[name], 0)
		}
		if err != nil {
			t.Fatal(err)
		}
		if i%10 == 9 {
			if i == 29 {
				d.flushes = 2 // the commit's two flushes; then nothing lands
			}
			if err := fs.Sync(); err != nil {
				t.Fatal(err)
			}
		}
	}
	return want
}

// homeless is a device that drops every write once flushes more flushes
// have happened (-1: never).
type homeless struct {
	*blockdev.File
	flushes int
}

func (d *homeless) WriteAt(p []byte, off int64) (int, error) {
	if d.flushes == 0 {
		return len(p), nil
	}
	return d.File.WriteAt(p, off)
}

func (d *homeless) Flush() error {
	if d.flushes > 0 {
		d.flushes--
	}
	return d.File.Flush()
}

// linuxInitramfs returns ref's kernel and an initramfs of busybox, the
// modules and linuxInit.
func linuxInitramfs(t *testing.T, ref, dir string) (string, string) {
	kernels, _ := filepath.Glob(filepath.Join(ref, "boot", "vmlinuz-*"))
	if len(kernels) == 0 {
		t.Fatalf("no kernel under %s/boot", ref)
	}
	vmlinuz := kernels[len(kernels)-1]
	modDir := filepath.Join(ref, "lib", "modules", strings.TrimPrefix(filepath.Base(vmlinuz), "vmlinuz-"))
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := cpio.NewWriter(&buf)
	errs := []error{w.Dir("bin", 0o755), w.Dir("dev", 0o755), w.Dir("proc", 0o555), w.Dir("mnt", 0o755),
		w.Dir("lib", 0o755), w.Dir("lib/modules", 0o755), w.CharDev("dev/console", 0o600, 5, 1),
		w.File("bin/busybox", 0o755, bb),
		w.File("init", 0o755, []byte(strings.Replace(linuxInit, "MODULES", strings.Join(linuxModules, " "), 1)))}
	for _, m := range linuxModules {
		data, err := readModule(modDir, m)
		if err != nil {
			t.Fatal(err)
		}
		if data != nil {
			errs = append(errs, w.File("lib/modules/"+m+".ko", 0o644, data))
		}
	}
	errs = append(errs, w.Close())
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	initrd := filepath.Join(dir, "initramfs.cpio")
	if err := os.WriteFile(initrd, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return vmlinuz, initrd
}

// readModule returns module name from modDir, decompressed; nil if the
// kernel has none (built in).
func readModule(modDir, name string) ([]byte, error) {
	var path string
	filepath.WalkDir(modDir, func(p string, _ fs.DirEntry, err error) error {
		base := strings.ReplaceAll(filepath.Base(p), "-", "_")
		if err == nil && (base == name+".ko" || base == name+".ko.xz") {
			path = p
			return filepath.SkipAll
		}
		return nil
	})
	if path == "" {
		return nil, nil
	}
	if strings.HasSuffix(path, ".xz") {
		return exec.Command("xz", "-dc", path).Output()
	}
	return os.ReadFile(path)
}

// mkfsRoot makes an empty image as the project makes its root image.
func mkfsRoot(t *testing.T, img string) {
	if out, err := exec.Command("mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096",
		"-E", "lazy_itable_init=0,root_owner=0:0", img, "24M").CombinedOutput(); err != nil {
		t.Fatalf("mke2fs: %v\n%s", err, out)
	}
}

func fsck(t *testing.T, img string) {
	if out, err := exec.Command("e2fsck", "-fn", img).CombinedOutput(); err != nil {
		t.Fatalf("e2fsck -fn: %v\n%s", err, out)
	}
}

func openImg(t *testing.T, img string, ro bool) *ext4.FS {
	dev, err := blockdev.OpenFile(img, ro)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dev.Close() })
	fs, err := ext4.Open(dev, ext4.Options{ReadOnly: ro})
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func readFile(t *testing.T, fs *ext4.FS, dir, name string) []byte {
	d, err := fs.Lookup(fs.Root(), dir)
	if err != nil {
		t.Fatalf("/%s: %v", dir, err)
	}
	ino, err := fs.Lookup(d, name)
	if err != nil {
		t.Errorf("/%s/%s: %v", dir, name, err)
		return nil
	}
	a, err := fs.Stat(ino)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, a.Size)
	n, _ := fs.ReadAt(ino, b, 0)
	return b[:n]
}
