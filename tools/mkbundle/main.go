// Command mkbundle writes the boot bundle: a newc cpio archive of the
// programs the kernel can spawn, passed to QEMU as -initrd.
//
// Usage: mkbundle -o bundle.cpio file...
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// writeEntry writes one newc header, name and data, padded to 4 bytes.
func writeEntry(w io.Writer, ino int, name string, mode uint32, data []byte) error {
	hdr := fmt.Sprintf("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name)+1, 0)
	b := append([]byte(hdr), name...)
	b = append(b, 0)
	b = append(b, make([]byte, (4-len(b)%4)%4)...)
	b = append(b, data...)
	b = append(b, make([]byte, (4-len(data)%4)%4)...)
	_, err := w.Write(b)
	return err
}

func main() {
	out := flag.String("o", "bundle.cpio", "output file")
	flag.Parse()
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkbundle:", err)
		os.Exit(1)
	}
	w := bufio.NewWriter(f)
	for i, path := range flag.Args() {
		data, err := os.ReadFile(path)
		if err == nil {
			err = writeEntry(w, i+1, filepath.Base(path), 0o100755, data)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "mkbundle:", err)
			os.Exit(1)
		}
	}
	err = writeEntry(w, 0, "TRAILER!!!", 0, nil)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkbundle:", err)
		os.Exit(1)
	}
}
