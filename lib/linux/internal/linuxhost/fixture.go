package linuxhost

import (
	"os"
	"syscall"
	"testing"

	"aramid/lib/linux/dac"
)

// TempDir returns a fresh directory that every credential can search,
// removed when t ends. (t.TempDir's are mode 0700 under a 0700 parent.)
func TempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "authd-host-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// MakeFile creates path as an empty regular file or directory with f's
// owner and mode; it chmods after the chown because chown clears set-id
// bits.
func MakeFile(path string, f dac.File) error {
	if f.IsDir() {
		if err := os.Mkdir(path, 0o700); err != nil {
			return err
		}
	} else if err := os.WriteFile(path, nil, 0o600); err != nil {
		return err
	}
	return SetOwnerMode(path, f)
}

// SetOwnerMode gives an existing path f's owner and permission bits.
func SetOwnerMode(path string, f dac.File) error {
	if err := os.Lchown(path, int(f.UID), int(f.GID)); err != nil {
		return err
	}
	return syscall.Chmod(path, f.Mode&0o7777)
}
