package loader

import "encoding/binary"

// MaxSegments bounds the PT_LOAD segments of a program.
const MaxSegments = 8

// Segment is one PT_LOAD: file bytes [Off, Off+Filesz) at Vaddr, zero-filled
// to Memsz.
type Segment struct {
	Vaddr, Off, Filesz, Memsz uint64
	Write, Exec               bool
}

// Program is a parsed static ELF64 executable.
type Program struct {
	Entry     uint64
	Phdr      uint64 // address of the program headers in memory, if loaded
	Phnum     uint64
	Segments  [MaxSegments]Segment
	NSegments int
	Interp    bool // has PT_INTERP: dynamically linked
}

// Error is a reason an ELF is refused. It is a string type so that the
// trap path can return one without allocating.
type Error string

func (e Error) Error() string { return string(e) }

// Errors.
const (
	ErrNotELF    = Error("not an ELF64 x86-64 executable")
	ErrTruncated = Error("truncated ELF")
	ErrSegments  = Error("bad or too many PT_LOAD segments")
	ErrAddress   = Error("segment outside the user half")
	ErrDynamic   = Error("dynamically linked (PT_INTERP) programs are not supported here")
)

const userTop = 0x0000800000000000

// Parse validates a static ELF64 executable for x86-64 and lists its
// loadable segments. Every offset and address is checked, so loading from
// the result cannot read outside img or map outside the user half.
//
//go:nosplit
func Parse(img []byte, p *Program) error {
	if len(img) < 64 || string(img[:4]) != "\x7fELF" || img[4] != 2 || img[5] != 1 {
		return ErrNotELF
	}
	if typ := le16(img[16:]); (typ != 2 && typ != 3) || le16(img[18:]) != 62 {
		return ErrNotELF
	}
	*p = Program{Entry: le64(img[24:])}
	phoff, phentsize, phnum := le64(img[32:]), uint64(le16(img[54:])), uint64(le16(img[56:]))
	if phentsize < 56 || phnum > 64 || phoff > uint64(len(img)) || phnum*phentsize > uint64(len(img))-phoff {
		return ErrTruncated
	}
	p.Phnum = phnum
	for i := uint64(0); i < phnum; i++ {
		ph := img[phoff+i*phentsize:]
		switch le32(ph) {
		case 3: // PT_INTERP
			p.Interp = true
		case 1: // PT_LOAD
			if err := addSegment(img, ph, p); err != nil {
				return err
			}
			s := &p.Segments[p.NSegments-1]
			if phoff >= s.Off && phoff+phnum*phentsize <= s.Off+s.Filesz {
				p.Phdr = s.Vaddr + phoff - s.Off
			}
		}
	}
	if p.Interp {
		return ErrDynamic
	}
	if p.NSegments == 0 || p.Entry >= userTop {
		return ErrSegments
	}
	return nil
}

//go:nosplit
func addSegment(img, ph []byte, p *Program) error {
	if p.NSegments == MaxSegments {
		return ErrSegments
	}
	s := &p.Segments[p.NSegments]
	flags := le32(ph[4:])
	s.Off, s.Vaddr, s.Filesz, s.Memsz = le64(ph[8:]), le64(ph[16:]), le64(ph[32:]), le64(ph[40:])
	s.Write, s.Exec = flags&2 != 0, flags&1 != 0
	if s.Filesz > s.Memsz || s.Off > uint64(len(img)) || s.Filesz > uint64(len(img))-s.Off {
		return ErrTruncated
	}
	if s.Vaddr < 0x10000 || s.Memsz > userTop || s.Vaddr > userTop-s.Memsz {
		return ErrAddress
	}
	p.NSegments++
	return nil
}

// The binary.LittleEndian accessors are always inlined, so they add no
// (splittable) calls to the trap path.

//go:nosplit
func le16(b []byte) uint16 { return binary.LittleEndian.Uint16(b) }

//go:nosplit
func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }

//go:nosplit
func le64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }
