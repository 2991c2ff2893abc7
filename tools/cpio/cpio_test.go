package cpio

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
	"unsafe"

	"aramid/microkernel/loader"
)

func sample(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, err := range []error{
		w.Dir("bin", 0o755),
		w.File("/init", 0o755, []byte("#!/bin/sh\necho hi\n")),
		w.Symlink("bin/sh", "busybox"),
		w.Dir("dev", 0o755),
		w.CharDev("dev/console", 0o600, 5, 1),
		w.Close(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func TestLayout(t *testing.T) {
	b := sample(t)
	want := "070701" + "00000001" + "000041ed" + "00000000" + "00000000" + "00000002" + "00000000" +
		"00000000" + "00000000" + "00000000" + "00000000" + "00000000" + "00000004" + "00000000" + "bin\x00"
	if got := string(b[:len(want)]); got != want {
		t.Fatalf("first entry:\n got %q\nwant %q", got, want)
	}
	if len(b)%4 != 0 {
		t.Errorf("archive is %d bytes, not a multiple of 4", len(b))
	}
	if !bytes.HasSuffix(b, []byte("TRAILER!!!\x00\x00\x00\x00")) {
		t.Errorf("archive does not end with the padded trailer: %q", b[len(b)-16:])
	}
}

func TestBadNames(t *testing.T) {
	w := NewWriter(new(bytes.Buffer))
	for _, name := range []string{"", "/", "TRAILER!!!", "a\x00b"} {
		if err := w.File(name, 0o644, nil); err == nil {
			t.Errorf("File(%q) succeeded", name)
		}
	}
}

// TestHostCpio reads the archive back with GNU cpio, the host's reference.
func TestHostCpio(t *testing.T) {
	if _, err := exec.LookPath("cpio"); err != nil {
		t.Skip("no cpio on this host")
	}
	b := sample(t)
	cmd := exec.Command("cpio", "-itv", "--quiet", "--numeric-uid-gid")
	cmd.Stdin = bytes.NewReader(b)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cpio -t: %v", err)
	}
	want := []struct{ mode, has, name string }{
		{"drwxr-xr-x", " 0 0 ", "bin"},
		{"-rwxr-xr-x", " 18 ", "init"},
		{"lrwxrwxrwx", " 7 ", "bin/sh -> busybox"},
		{"drwxr-xr-x", " 0 0 ", "dev"},
		{"crw-------", " 5, 1 ", "dev/console"},
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(want) {
		t.Fatalf("cpio lists %d entries, want %d:\n%s", len(lines), len(want), out)
	}
	for i, l := range lines {
		l = strings.Join(strings.Fields(l), " ")
		w := want[i]
		if !strings.HasPrefix(l, w.mode+" ") || !strings.Contains(l, w.has) || !strings.HasSuffix(l, " "+w.name) {
			t.Errorf("entry %d: %q, want %s, %q and %s", i, l, w.mode, w.has, w.name)
		}
	}
	cmd = exec.Command("cpio", "-i", "--quiet", "--to-stdout", "init")
	cmd.Stdin = bytes.NewReader(b)
	if out, err := cmd.Output(); err != nil || string(out) != "#!/bin/sh\necho hi\n" {
		t.Errorf("cpio extracts init as %q, %v", out, err)
	}
}

// TestAlignedFile checks that AlignedFile puts each file's data at a
// multiple of the alignment, whatever came before, and that the kernel's
// reader finds the files, and their padding, as written.
func TestAlignedFile(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	progs := map[string][]byte{"init": bytes.Repeat([]byte{1}, 5000), "vfsd": {2, 3}, "x": bytes.Repeat([]byte{4}, 4096)}
	for _, err := range []error{
		w.File("odd", 0o644, []byte("seven b")),
		w.AlignedFile("init", 0o755, progs["init"], 4096),
		w.AlignedFile("vfsd", 0o755, progs["vfsd"], 4096),
		w.AlignedFile("x", 0o755, progs["x"], 4096),
		w.Close(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	archive := buf.Bytes()
	if w.off != len(archive) {
		t.Errorf("the writer counted %d bytes, wrote %d", w.off, len(archive))
	}
	for name, want := range progs {
		got, ok := loader.Find(archive, name)
		if !ok || !bytes.Equal(got, want) {
			t.Fatalf("%s: found %v, %d bytes", name, ok, len(got))
		}
		if off := uintptr(unsafe.Pointer(&got[0])) - uintptr(unsafe.Pointer(&archive[0])); off%4096 != 0 {
			t.Errorf("%s's data is at offset %d", name, off)
		}
	}
	if err := w.AlignedFile("y", 0o755, nil, 6); err == nil {
		t.Error("an alignment of 6 was accepted")
	}
}
