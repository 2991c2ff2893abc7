package irq

import "aramid/microkernel/arch/amd64"

// remapPIC moves the 8259 pair's vectors to Base..Base+15, out of the
// exceptions' range, with every line masked but the cascade.
//
//go:nosplit
func remapPIC() {
	amd64.Outb(0x20, 0x11)
	amd64.Outb(0xa0, 0x11)
	amd64.Outb(0x21, Base)
	amd64.Outb(0xa1, Base+8)
	amd64.Outb(0x21, 4)
	amd64.Outb(0xa1, 2)
	amd64.Outb(0x21, 1)
	amd64.Outb(0xa1, 1)
	amd64.Outb(0x21, 0xfb) // all masked but the cascade
	amd64.Outb(0xa1, 0xff)
}

//go:nosplit
func picUnmask(line uint8) {
	if line < 8 {
		amd64.Outb(0x21, amd64.Inb(0x21)&^(1<<line))
	} else {
		amd64.Outb(0xa1, amd64.Inb(0xa1)&^(1<<(line-8)))
	}
}

//go:nosplit
func picMask(line uint8) {
	if line < 8 {
		amd64.Outb(0x21, amd64.Inb(0x21)|1<<line)
	} else {
		amd64.Outb(0xa1, amd64.Inb(0xa1)|1<<(line-8))
	}
}

//go:nosplit
func picEOI(line uint8) {
	if line >= 8 {
		amd64.Outb(0xa0, 0x20)
	}
	amd64.Outb(0x20, 0x20)
}

// picOff masks every line of both PICs: the I/O APIC delivers them now.
//
//go:nosplit
func picOff() {
	amd64.Outb(0x21, 0xff)
	amd64.Outb(0xa1, 0xff)
}
