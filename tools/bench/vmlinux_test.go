package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeBzImage lays out a setup header of 3+1 sectors, 16 bytes of padding
// and the compressed payload followed by the uncompressed size.
func fakeBzImage(compressed []byte, size uint32) []byte {
	le := binary.LittleEndian
	bz := make([]byte, 4*512+16)
	bz[offSetupSects] = 3
	copy(bz[offHeaderMagic:], "HdrS")
	le.PutUint16(bz[offVersion:], 0x20f)
	le.PutUint32(bz[offPayloadOffset:], 16)
	le.PutUint32(bz[offPayloadLength:], uint32(len(compressed)+4))
	bz = append(bz, compressed...)
	bz = le.AppendUint32(bz, size)
	return append(bz, "signature"...) // signed images carry more after the payload
}

var kernelBytes = bytes.Repeat([]byte("\x7fELF kernel text "), 1000)

func TestExtractGzip(t *testing.T) {
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write(kernelBytes)
	w.Close()
	got, err := extractVmlinux(fakeBzImage(z.Bytes(), uint32(len(kernelBytes))))
	if err != nil || !bytes.Equal(got, kernelBytes) {
		t.Fatalf("extract: %d bytes, %v", len(got), err)
	}
	if _, err := extractVmlinux(fakeBzImage(z.Bytes(), 5)); err == nil {
		t.Error("a wrong size trailer was accepted")
	}
}

func TestExtractXZ(t *testing.T) {
	if _, err := exec.LookPath("xz"); err != nil {
		t.Skip("no xz on this host")
	}
	cmd := exec.Command("xz", "-c", "--check=crc32")
	cmd.Stdin = bytes.NewReader(kernelBytes)
	z, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	got, err := extractVmlinux(fakeBzImage(z, uint32(len(kernelBytes))))
	if err != nil || !bytes.Equal(got, kernelBytes) {
		t.Fatalf("extract: %d bytes, %v", len(got), err)
	}
	_, err = extractVmlinux(fakeBzImage(z[:len(z)/2], uint32(len(kernelBytes))))
	if err == nil || !strings.Contains(err.Error(), "xz") {
		t.Errorf("a truncated xz payload gave %v", err)
	}
}

func TestPayloadErrors(t *testing.T) {
	good := fakeBzImage([]byte{0x1f, 0x8b, 1, 2}, 9)
	for name, mutate := range map[string]func([]byte) []byte{
		"short":     func(b []byte) []byte { return b[:0x100] },
		"no magic":  func(b []byte) []byte { b[offHeaderMagic] = 'X'; return b },
		"old":       func(b []byte) []byte { b[offVersion], b[offVersion+1] = 0x07, 0x02; return b },
		"too long":  func(b []byte) []byte { binary.LittleEndian.PutUint32(b[offPayloadLength:], 1<<31); return b },
		"too short": func(b []byte) []byte { binary.LittleEndian.PutUint32(b[offPayloadLength:], 3); return b },
		"far":       func(b []byte) []byte { binary.LittleEndian.PutUint32(b[offPayloadOffset:], 0xffffffff); return b },
	} {
		b := mutate(append([]byte{}, good...))
		if _, _, err := payload(b); err == nil {
			t.Errorf("%s: payload accepted", name)
		}
	}
	if _, err := decompress([]byte("BZh91AY")); err == nil {
		t.Error("bzip2 payload accepted")
	}
}

func note(name string, typ uint32, desc []byte) []byte {
	le := binary.LittleEndian
	b := le.AppendUint32(nil, uint32(len(name)+1))
	b = le.AppendUint32(b, uint32(len(desc)))
	b = le.AppendUint32(b, typ)
	b = append(b, name...)
	b = append(b, make([]byte, 4-len(name)%4)...)
	b = append(b, desc...)
	return append(b, make([]byte, (4-len(desc)%4)%4)...)
}

func TestHasNote(t *testing.T) {
	le := binary.LittleEndian
	notes := append(note("GNU", 3, []byte("build-id-20")), note("Xen", 6, []byte("linux\x00"))...)
	if hasNote(notes, le, "Xen", xenElfnotePhys32Entry) {
		t.Error("found a PVH note that is not there")
	}
	notes = append(notes, note("Xen", xenElfnotePhys32Entry, le.AppendUint32(nil, 0x1000850))...)
	if !hasNote(notes, le, "Xen", xenElfnotePhys32Entry) {
		t.Error("missed the PVH note")
	}
	if hasNote(notes[:len(notes)-2], le, "Xen", xenElfnotePhys32Entry) {
		t.Error("accepted a truncated note")
	}
	huge := le.AppendUint32(le.AppendUint32(le.AppendUint32(nil, 0xffffffff), 0xffffffff), 18)
	if hasNote(huge, le, "Xen", xenElfnotePhys32Entry) {
		t.Error("accepted a note with impossible sizes")
	}
}

// TestDebianBzImage reads the setup header of the Debian kernels that make
// linux-ref unpacked, the images make bench boots, without decompressing
// them.
func TestDebianBzImage(t *testing.T) {
	images, _ := filepath.Glob("../../build/linux-ref/boot/vmlinuz-*")
	if len(images) == 0 {
		t.Skip("no build/linux-ref/boot/vmlinuz-*: run make linux-ref")
	}
	for _, img := range images {
		bz, err := os.ReadFile(img)
		if err != nil {
			t.Skip(err)
		}
		p, size, err := payload(bz)
		if err != nil {
			t.Errorf("%s: %v", img, err)
			continue
		}
		if size < 1<<20 || len(p) > int(size) {
			t.Errorf("%s: %d compressed bytes for %d", img, len(p), size)
		}
	}
}
