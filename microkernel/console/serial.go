// Package console drives the COM1 serial port: the kernel's only output
// before user space exists, and the input of the kernel monitor. Its
// functions are go:nosplit and allocation-free so that the trap path and the
// crash reporter can print.
package console

import (
	"unsafe"

	"aramid/microkernel/arch/amd64"
)

const com1 = 0x3f8

// Init programs COM1 for 115200 8N1 with the receive interrupt enabled.
//
//go:nosplit
func Init() {
	amd64.Outb(com1+1, 0x00) // no interrupts while configuring
	amd64.Outb(com1+3, 0x80) // DLAB
	amd64.Outb(com1+0, 0x01) // divisor 1: 115200 baud
	amd64.Outb(com1+1, 0x00)
	amd64.Outb(com1+3, 0x03) // 8N1
	amd64.Outb(com1+2, 0xc7) // FIFO on, cleared
	amd64.Outb(com1+4, 0x0b) // DTR, RTS, OUT2 (IRQs reach the PIC)
	amd64.Outb(com1+1, 0x01) // receive-data interrupt
}

//go:nosplit
func putc(c byte) {
	for amd64.Inb(com1+5)&0x20 == 0 {
	}
	amd64.Outb(com1, c)
}

// Write sends p to the serial port, turning "\n" into "\r\n".
//
//go:nosplit
func Write(p []byte) {
	for _, c := range p {
		if c == '\n' {
			putc('\r')
		}
		putc(c)
	}
}

// Print writes a string.
//
//go:nosplit
func Print(s string) {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			putc('\r')
		}
		putc(s[i])
	}
}

// Hex prints v as 0x followed by 16 hex digits.
//
//go:nosplit
func Hex(v uint64) {
	const digits = "0123456789abcdef"
	putc('0')
	putc('x')
	for i := 60; i >= 0; i -= 4 {
		putc(digits[v>>uint(i)&0xf])
	}
}

// Dec prints v in decimal.
//
//go:nosplit
func Dec(v uint64) {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	for ; i < len(buf); i++ {
		putc(buf[i])
	}
}

// ReadByte returns a received byte, if one is waiting.
//
//go:nosplit
func ReadByte() (byte, bool) {
	if amd64.Inb(com1+5)&1 == 0 {
		return 0, false
	}
	return amd64.Inb(com1), true
}

// Hex8 prints a byte as two hex digits.
//
//go:nosplit
func Hex8(b byte) {
	const digits = "0123456789abcdef"
	putc(digits[b>>4])
	putc(digits[b&0xf])
}

// registerOrder lists the registers a crash report prints, by their index
// in amd64.Frame viewed as an array of words.
var registerOrder = [...]struct {
	name  string
	index int
}{
	{"RIP", 18}, {"RSP", 21}, {"RBP", 9}, {"RFLAGS", 20},
	{"RAX", 15}, {"RBX", 14}, {"RCX", 13}, {"RDX", 12},
	{"RSI", 11}, {"RDI", 10}, {" R8", 8}, {" R9", 7},
	{"R10", 6}, {"R11", 5}, {"R12", 4}, {"R13", 3},
	{"R14", 2}, {"R15", 1}, {" CS", 19}, {" SS", 22},
}

// Registers prints every general register of a trapped frame, four to a
// line, for crash reports.
//
//go:nosplit
func Registers(f *amd64.Frame) {
	words := (*[unsafe.Sizeof(amd64.Frame{}) / 8]uint64)(unsafe.Pointer(f))
	for k := range registerOrder {
		r := &registerOrder[k]
		Print(r.name)
		Print(" ")
		Hex(words[r.index])
		if k%4 == 3 {
			Print("\n")
		} else {
			Print("  ")
		}
	}
}
