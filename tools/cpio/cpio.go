// Package cpio writes "newc" cpio archives: the initramfs of the Linux
// reference boot (tools/bench) and Aramid's boot bundle (tools/mkbundle),
// which the kernel reads with microkernel/loader. It writes only what an
// initramfs needs: directories, regular
// files, symbolic links and device nodes, all owned by root, with the
// modification time zero so the same inputs give the same bytes.
package cpio

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// File types of the mode word (see inode(7)).
const (
	TypeDir     = 0o040000
	TypeRegular = 0o100000
	TypeSymlink = 0o120000
	TypeChar    = 0o020000
)

const trailer = "TRAILER!!!"

// Writer appends entries to an archive. Call Close to write the trailer.
type Writer struct {
	w   *bufio.Writer
	ino int
	off int // bytes written so far
	err error
}

// NewWriter returns a Writer that writes the archive to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: bufio.NewWriter(w)}
}

// Dir adds a directory.
func (w *Writer) Dir(name string, perm uint32) error {
	return w.entry(name, TypeDir|perm&0o7777, 0, 0, nil)
}

// File adds a regular file.
func (w *Writer) File(name string, perm uint32, data []byte) error {
	return w.entry(name, TypeRegular|perm&0o7777, 0, 0, data)
}

// AlignedFile adds a regular file whose data starts at a multiple of
// align bytes from the start of the archive, align being a multiple of 4:
// Aramid's kernel maps the pages of a program in the boot bundle into its
// processes as they are, which needs each file page-aligned. It first adds
// a file named padName, of the size that brings the data there.
func (w *Writer) AlignedFile(name string, perm uint32, data []byte, align int) error {
	if align%4 != 0 || align <= 0 {
		return fmt.Errorf("cpio: alignment %d is not a positive multiple of 4", align)
	}
	hdr := align4(headerSize + len(strings.TrimPrefix(name, "/")) + 1)
	if (w.off+hdr)%align != 0 {
		padHdr := align4(headerSize + len(padName) + 1)
		size := (align - (w.off+padHdr+hdr)%align) % align
		if err := w.entry(padName, TypeRegular|0o644, 0, 0, make([]byte, size)); err != nil {
			return err
		}
	}
	return w.File(name, perm, data)
}

// padName is the name of the files AlignedFile adds before the files it
// aligns.
const padName = ".pad"

// headerSize is the size of a newc header, before the name.
const headerSize = 110

// align4 rounds n up to a multiple of 4.
func align4(n int) int { return (n + 3) &^ 3 }

// Symlink adds a symbolic link from name to target.
func (w *Writer) Symlink(name, target string) error {
	return w.entry(name, TypeSymlink|0o777, 0, 0, []byte(target))
}

// CharDev adds a character device node.
func (w *Writer) CharDev(name string, perm, major, minor uint32) error {
	return w.entry(name, TypeChar|perm&0o7777, major, minor, nil)
}

// Close writes the trailer and flushes; it does not close the underlying
// writer.
func (w *Writer) Close() error {
	if err := w.entry(trailer, 0, 0, 0, nil); err != nil {
		return err
	}
	return w.w.Flush()
}

// entry writes the 110-byte header, the name with its NUL, padding to 4
// bytes, the data, and padding to 4 bytes again.
func (w *Writer) entry(name string, mode, rmajor, rminor uint32, data []byte) error {
	if w.err != nil {
		return w.err
	}
	ino := 0 // the trailer's
	if mode != 0 {
		name = strings.TrimPrefix(name, "/")
		if name == "" || name == trailer || strings.IndexByte(name, 0) >= 0 {
			return fmt.Errorf("cpio: bad name %q", name)
		}
		w.ino++
		ino = w.ino
	}
	if uint64(len(data)) > 0xffffffff {
		return fmt.Errorf("cpio: %s: %d bytes is too large for newc", name, len(data))
	}
	nlink := 1
	if mode&0o170000 == TypeDir {
		nlink = 2
	}
	hdr := fmt.Sprintf("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rmajor, rminor, len(name)+1, 0)
	_, w.err = io.WriteString(w.w, hdr+name+"\x00"+pad(len(hdr)+len(name)+1))
	if w.err == nil {
		_, w.err = w.w.Write(data)
	}
	if w.err == nil {
		_, w.err = io.WriteString(w.w, pad(len(data)))
	}
	w.off += align4(len(hdr)+len(name)+1) + align4(len(data))
	return w.err
}

// pad is the NUL bytes that bring n up to a multiple of 4.
func pad(n int) string {
	return "\x00\x00\x00"[:(4-n%4)%4]
}
