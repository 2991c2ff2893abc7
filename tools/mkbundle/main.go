// Command mkbundle writes the boot bundle: a newc cpio archive of the
// programs the kernel can spawn, passed to QEMU as -initrd.
//
// Usage: mkbundle -o bundle.cpio file...
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"aramid/tools/cpio"
)

// pageSize is the alignment of each file's data in the bundle.
const pageSize = 4096

func main() {
	out := flag.String("o", "bundle.cpio", "output file")
	flag.Parse()
	if err := write(*out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "mkbundle:", err)
		os.Exit(1)
	}
}

// write archives each file under its base name, executable, with its
// data at a page boundary: the kernel maps the read-only pages of a
// program into its processes straight from the bundle, which QEMU loads
// page-aligned.
func write(out string, files []string) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	w := cpio.NewWriter(f)
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err == nil {
			err = w.AlignedFile(filepath.Base(path), 0o755, data, pageSize)
		}
		if err != nil {
			f.Close()
			return err
		}
	}
	err = w.Close()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
