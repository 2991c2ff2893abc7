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

func main() {
	out := flag.String("o", "bundle.cpio", "output file")
	flag.Parse()
	if err := write(*out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "mkbundle:", err)
		os.Exit(1)
	}
}

// write archives each file under its base name, executable.
func write(out string, files []string) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	w := cpio.NewWriter(f)
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err == nil {
			err = w.File(filepath.Base(path), 0o755, data)
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
