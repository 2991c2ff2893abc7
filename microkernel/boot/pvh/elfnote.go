package pvh

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
)

// xenElfnotePhys32Entry is XEN_ELFNOTE_PHYS32_ENTRY: the note whose presence
// makes QEMU load an ELF kernel by physical address and enter it in 32-bit
// protected mode (the PVH boot protocol).
const xenElfnotePhys32Entry = 18

// Patch turns a Go-linked kernel ELF into a PVH-bootable image:
//   - every segment's physical address becomes its virtual address minus
//     base, so QEMU loads the high-linked kernel into low physical memory;
//   - the PT_NOTE segment (Go's build-ID note, within the first page) is
//     rewritten into a Xen PHYS32_ENTRY note giving the physical address of
//     the entry point.
//
// It refuses an image that already carries a multiboot header, because QEMU
// checks for multiboot first and would never reach the PVH path.
func Patch(img []byte, base uint64) error {
	f, err := elf.NewFile(bytesReaderAt(img))
	if err != nil {
		return fmt.Errorf("pvh: %w", err)
	}
	if f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_X86_64 {
		return fmt.Errorf("pvh: not an x86-64 ELF64 image")
	}
	if hasMultiboot(img) {
		return fmt.Errorf("pvh: image has a multiboot header in its first 8 KiB")
	}
	if f.Entry < base {
		return fmt.Errorf("pvh: entry %#x is below the kernel base %#x", f.Entry, base)
	}
	le := binary.LittleEndian
	phoff := le.Uint64(img[32:])
	phentsize := uint64(le.Uint16(img[54:]))
	phnum := uint64(le.Uint16(img[56:]))
	noted := false
	for i := uint64(0); i < phnum; i++ {
		ph := img[phoff+i*phentsize:]
		typ := elf.ProgType(le.Uint32(ph[0:]))
		vaddr := le.Uint64(ph[16:])
		if typ == elf.PT_LOAD || typ == elf.PT_PHDR || typ == elf.PT_NOTE {
			if vaddr < base {
				return fmt.Errorf("pvh: segment at %#x is below the kernel base %#x", vaddr, base)
			}
			le.PutUint64(ph[24:], vaddr-base)
		}
		if typ == elf.PT_NOTE && !noted {
			if err := writeEntryNote(img, ph, f.Entry-base); err != nil {
				return err
			}
			noted = true
		}
	}
	if !noted {
		return fmt.Errorf("pvh: image has no PT_NOTE segment to carry the PVH note")
	}
	return nil
}

// writeEntryNote overwrites the note segment described by ph with a single
// "Xen" PHYS32_ENTRY note and shrinks the segment to exactly that note.
func writeEntryNote(img, ph []byte, entry uint64) error {
	le := binary.LittleEndian
	off := le.Uint64(ph[8:])
	const size = 12 + 4 + 8 // header, "Xen\0", 8-byte address
	if le.Uint64(ph[32:]) < size || off+size > uint64(len(img)) {
		return fmt.Errorf("pvh: note segment too small for the PVH note")
	}
	n := img[off : off+size]
	le.PutUint32(n[0:], 4) // namesz
	le.PutUint32(n[4:], 8) // descsz
	le.PutUint32(n[8:], xenElfnotePhys32Entry)
	copy(n[12:], "Xen\x00")
	le.PutUint64(n[16:], entry)
	le.PutUint64(ph[32:], size) // p_filesz
	le.PutUint64(ph[40:], size) // p_memsz
	le.PutUint64(ph[48:], 4)    // p_align
	return nil
}

// hasMultiboot reports whether a multiboot1 header magic appears, 4-byte
// aligned, in the first 8 KiB.
func hasMultiboot(img []byte) bool {
	for i := 0; i+12 <= len(img) && i < 8192; i += 4 {
		m := binary.LittleEndian.Uint32(img[i:])
		if m == 0x1badb002 {
			fl := binary.LittleEndian.Uint32(img[i+4:])
			ck := binary.LittleEndian.Uint32(img[i+8:])
			if m+fl+ck == 0 {
				return true
			}
		}
	}
	return false
}

type bytesReaderAt []byte

func (b bytesReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off >= int64(len(b)) {
		return 0, fmt.Errorf("read at %d out of range", off)
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, fmt.Errorf("short read at %d", off)
	}
	return n, nil
}
