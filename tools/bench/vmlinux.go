package main

import (
	"bytes"
	"compress/gzip"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// The x86 boot protocol's setup header (Documentation/arch/x86/boot.rst).
const (
	offSetupSects    = 0x1f1
	offHeaderMagic   = 0x202 // "HdrS"
	offVersion       = 0x206
	offPayloadOffset = 0x248 // from the end of the setup code, since 2.08
	offPayloadLength = 0x24c
)

// xenElfnotePhys32Entry is XEN_ELFNOTE_PHYS32_ENTRY, the note that lets
// QEMU boot an ELF kernel directly in 32-bit mode (PVH).
const xenElfnotePhys32Entry = 18

// payload returns the compressed kernel inside a bzImage and the
// uncompressed size that the kernel's build appends to it.
func payload(bz []byte) (data []byte, size uint32, err error) {
	if len(bz) < offPayloadLength+4 || string(bz[offHeaderMagic:offHeaderMagic+4]) != "HdrS" {
		return nil, 0, errors.New("not a bzImage: no HdrS setup header")
	}
	le := binary.LittleEndian
	if v := le.Uint16(bz[offVersion:]); v < 0x208 {
		return nil, 0, fmt.Errorf("boot protocol %#x predates the payload fields (2.08)", v)
	}
	sects := int(bz[offSetupSects])
	if sects == 0 {
		sects = 4
	}
	start := (sects+1)*512 + int(le.Uint32(bz[offPayloadOffset:]))
	n := int(le.Uint32(bz[offPayloadLength:]))
	if n < 4 || start < 0 || start > len(bz) || n > len(bz)-start {
		return nil, 0, fmt.Errorf("payload [%d, +%d) lies outside the %d-byte image", start, n, len(bz))
	}
	p := bz[start : start+n]
	return p[:n-4], le.Uint32(p[n-4:]), nil
}

// decompress undoes the kernel's compression. gzip is in Go's library; xz
// and zstd, which Go's library lacks, go through the host's tools (Debian
// builds its kernels with xz).
func decompress(p []byte) ([]byte, error) {
	var tool string
	switch {
	case bytes.HasPrefix(p, []byte{0x1f, 0x8b}):
		r, err := gzip.NewReader(bytes.NewReader(p))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(r)
	case bytes.HasPrefix(p, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		tool = "xz"
	case bytes.HasPrefix(p, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		tool = "zstd"
	default:
		return nil, fmt.Errorf("unknown kernel compression (magic % x)", p[:min(len(p), 6)])
	}
	cmd := exec.Command(tool, "-dc")
	cmd.Stdin = bytes.NewReader(p)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s -dc: %v: %s", tool, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out, nil
}

// extractVmlinux returns the ELF kernel inside a bzImage.
func extractVmlinux(bz []byte) ([]byte, error) {
	p, size, err := payload(bz)
	if err != nil {
		return nil, err
	}
	elfImage, err := decompress(p)
	if err != nil {
		return nil, err
	}
	if uint32(len(elfImage)) != size {
		return nil, fmt.Errorf("decompressed %d bytes, the image says %d", len(elfImage), size)
	}
	return elfImage, nil
}

// hasPVHNote reports whether an ELF kernel carries the PVH entry note.
func hasPVHNote(f *elf.File) bool {
	for _, p := range f.Progs {
		if p.Type != elf.PT_NOTE {
			continue
		}
		b, err := io.ReadAll(p.Open())
		if err == nil && hasNote(b, f.ByteOrder, "Xen", xenElfnotePhys32Entry) {
			return true
		}
	}
	return false
}

// hasNote walks a PT_NOTE segment: namesz, descsz, type, then the name and
// the descriptor, each padded to 4 bytes.
func hasNote(b []byte, bo binary.ByteOrder, name string, typ uint32) bool {
	for len(b) >= 12 {
		namesz, descsz, t := bo.Uint32(b), bo.Uint32(b[4:]), bo.Uint32(b[8:])
		b = b[12:]
		nlen, dlen := (uint64(namesz)+3)&^3, (uint64(descsz)+3)&^3
		if nlen+dlen > uint64(len(b)) {
			return false
		}
		if t == typ && string(bytes.TrimRight(b[:namesz], "\x00")) == name {
			return true
		}
		b = b[nlen+dlen:]
	}
	return false
}

// linuxKernel returns the kernel image to boot for vmlinuz: the vmlinux
// extracted into dir when it carries a PVH note, because QEMU then skips the
// decompressor, which takes seconds under TCG; otherwise vmlinuz itself.
// The extracted file is kept and reused while it is newer than vmlinuz.
func linuxKernel(vmlinuz, dir string) (path, why string, err error) {
	out := filepath.Join(dir, "vmlinux-"+filepath.Base(vmlinuz))
	src, err := os.Stat(vmlinuz)
	if err != nil {
		return "", "", err
	}
	if st, err := os.Stat(out); err != nil || st.ModTime().Before(src.ModTime()) {
		bz, err := os.ReadFile(vmlinuz)
		if err != nil {
			return "", "", err
		}
		img, err := extractVmlinux(bz)
		if err != nil {
			return vmlinuz, fmt.Sprintf("booting the bzImage: cannot extract vmlinux: %v", err), nil
		}
		if err := os.WriteFile(out+".tmp", img, 0o644); err != nil {
			return "", "", err
		}
		if err := os.Rename(out+".tmp", out); err != nil {
			return "", "", err
		}
	}
	f, err := elf.Open(out)
	if err != nil {
		return vmlinuz, fmt.Sprintf("booting the bzImage: extracted vmlinux: %v", err), nil
	}
	defer f.Close()
	if !hasPVHNote(f) {
		return vmlinuz, "booting the bzImage: its vmlinux has no PVH note", nil
	}
	return out, "vmlinux extracted from " + vmlinuz + " (PVH entry)", nil
}
