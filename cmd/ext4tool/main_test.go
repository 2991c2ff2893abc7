package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
)

func needTools(t *testing.T) {
	for _, tool := range []string{"mke2fs", "e2fsck"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
}

func ext4tool(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(args, &out); err != nil {
		t.Fatalf("ext4tool %s: %v", strings.Join(args, " "), err)
	}
	return out.String()
}

// hostManifest computes the manifest of a host tree the way the issue
// defines it, independently of the engine.
func hostManifest(t *testing.T, root string) string {
	var lines []string
	filepath.Walk(root, func(hp string, fi os.FileInfo, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		p := "/" + strings.TrimPrefix(strings.TrimPrefix(hp, root), "/")
		digest := "-"
		switch st.Mode & syscall.S_IFMT {
		case syscall.S_IFREG:
			b, _ := os.ReadFile(hp)
			s := sha256.Sum256(b)
			digest = hex.EncodeToString(s[:])
		case syscall.S_IFLNK:
			digest, _ = os.Readlink(hp)
		}
		size := st.Size
		if fi.IsDir() {
			size = 0 // directory sizes differ between filesystems; patched below
		}
		lines = append(lines, fmt.Sprintf("%s\t%c\t%04o\t%d\t%d\t%d\t%d\t%s", p, typeLetter(st.Mode), st.Mode&07777, st.Uid, st.Gid, size, st.Nlink, digest))
		return nil
	})
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

// zeroDirSizes blanks the SIZE field of directories in a manifest.
func zeroDirSizes(m string) string {
	var out []string
	for _, l := range strings.Split(strings.TrimSuffix(m, "\n"), "\n") {
		f := strings.Split(l, "\t")
		if f[1] == "d" {
			f[5] = "0"
		}
		out = append(out, strings.Join(f, "\t"))
	}
	return strings.Join(out, "\n") + "\n"
}

func TestManifestAndEdits(t *testing.T) {
	needTools(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(filepath.Join(src, "etc/sub"), 0o755)
	os.WriteFile(filepath.Join(src, "etc/passwd"), []byte("root:x:0:0::/root:/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(src, "bin"), bytes.Repeat([]byte{0x7f, 'E', 'L', 'F'}, 50000), 0o755)
	os.Chown(filepath.Join(src, "bin"), 0, 50)
	os.Chmod(filepath.Join(src, "bin"), 0o4755)
	os.Symlink("etc/passwd", filepath.Join(src, "link"))
	syscall.Mkfifo(filepath.Join(src, "etc/fifo"), 0o600)
	os.Mkdir(filepath.Join(src, "lost+found"), 0o700) // mke2fs makes one; mirror it
	os.Chmod(filepath.Join(src, "etc/sub"), 0o1777)
	img := filepath.Join(dir, "img")
	if out, err := exec.Command("mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096", "-E", "root_owner=0:0", "-d", src, img, "16M").CombinedOutput(); err != nil {
		t.Fatalf("mke2fs: %v\n%s", err, out)
	}
	os.Chmod(src, 0o755)
	if got, want := zeroDirSizes(ext4tool(t, "manifest", img)), hostManifest(t, src); got != want {
		t.Fatalf("manifest:\n%s\nwant:\n%s", got, want)
	}

	// Apply the same edits to the host tree and to the image.
	host := filepath.Join(dir, "hostfile")
	os.WriteFile(host, bytes.Repeat([]byte("0123456789"), 100000), 0o640)
	ext4tool(t, "put", img, host, "/etc/sub/data")
	os.WriteFile(filepath.Join(src, "etc/sub/data"), bytes.Repeat([]byte("0123456789"), 100000), 0o640)
	ext4tool(t, "mkdir", img, "-p", "/a/b/c")
	os.MkdirAll(filepath.Join(src, "a/b/c"), 0o755)
	ext4tool(t, "mv", img, "/etc/passwd", "/a/b/passwd")
	os.Rename(filepath.Join(src, "etc/passwd"), filepath.Join(src, "a/b/passwd"))
	ext4tool(t, "ln", img, "/bin", "/a/bin2")
	os.Link(filepath.Join(src, "bin"), filepath.Join(src, "a/bin2"))
	ext4tool(t, "ln", img, "-s", "/a/b/passwd", "/etc/pw")
	os.Symlink("/a/b/passwd", filepath.Join(src, "etc/pw"))
	ext4tool(t, "chown", img, "1000:100", "/a/b/passwd")
	os.Chown(filepath.Join(src, "a/b/passwd"), 1000, 100)
	ext4tool(t, "chmod", img, "2750", "/a/b/passwd")
	os.Chmod(filepath.Join(src, "a/b/passwd"), 0o2750|os.ModeSetgid)
	ext4tool(t, "truncate", img, "12345", "/etc/sub/data")
	os.Truncate(filepath.Join(src, "etc/sub/data"), 12345)
	ext4tool(t, "rm", img, "-r", "/a/b/c")
	os.RemoveAll(filepath.Join(src, "a/b/c"))
	if got, want := zeroDirSizes(ext4tool(t, "manifest", img)), hostManifest(t, src); got != want {
		t.Fatalf("manifest after edits:\n%s\nwant:\n%s", got, want)
	}
	if got := ext4tool(t, "cat", img, "/etc/pw"); got != "root:x:0:0::/root:/bin/sh\n" {
		t.Fatalf("cat through symlink: %q", got)
	}
	out := filepath.Join(dir, "out")
	ext4tool(t, "get", img, "/etc/sub/data", out)
	if b, _ := os.ReadFile(out); len(b) != 12345 {
		t.Fatalf("get: %d bytes", len(b))
	}
	if s := ext4tool(t, "stat", img, "/a/b/passwd"); !strings.Contains(s, "mode: 2750") || !strings.Contains(s, "uid: 1000") {
		t.Fatalf("stat:\n%s", s)
	}
	if s := ext4tool(t, "ls", img, "/a"); !strings.Contains(s, "bin2") {
		t.Fatalf("ls:\n%s", s)
	}
	if out, err := exec.Command("e2fsck", "-fn", img).CombinedOutput(); err != nil {
		t.Fatalf("e2fsck: %v\n%s", err, out)
	}
}

func TestErrorsExitNonZero(t *testing.T) {
	needTools(t)
	img := filepath.Join(t.TempDir(), "img")
	if out, err := exec.Command("mke2fs", "-q", "-F", "-t", "ext4", img, "8M").CombinedOutput(); err != nil {
		t.Fatalf("mke2fs: %v\n%s", err, out)
	}
	for _, args := range [][]string{
		{},
		{"frob", img},
		{"cat", img, "/missing"},
		{"rm", img, "/lost+found"},
		{"mkdir", img, "/lost+found"},
		{"chmod", img, "99999", "/"},
		{"cat", filepath.Join(t.TempDir(), "nope"), "/x"},
		{"ls", "/dev/null"},
	} {
		var out bytes.Buffer
		err := run(args, &out)
		if err == nil || err.Error() == "" {
			t.Errorf("ext4tool %q succeeded", args)
		}
	}
	var out bytes.Buffer
	err := run([]string{"cat", img, "/missing"}, &out)
	if !strings.Contains(err.Error(), "/missing") || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("unclear message: %v", err)
	}
}
