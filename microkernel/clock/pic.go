package clock

import "aramid/microkernel/arch/amd64"

// IRQBase is the vector of IRQ 0 after remapping.
const IRQBase = 32

//go:nosplit
func remapPIC() {
	amd64.Outb(0x20, 0x11)
	amd64.Outb(0xa0, 0x11)
	amd64.Outb(0x21, IRQBase)
	amd64.Outb(0xa1, IRQBase+8)
	amd64.Outb(0x21, 4)
	amd64.Outb(0xa1, 2)
	amd64.Outb(0x21, 1)
	amd64.Outb(0xa1, 1)
	amd64.Outb(0x21, 0xfb) // all masked but the cascade
	amd64.Outb(0xa1, 0xff)
}

// Unmask enables an IRQ line.
//
//go:nosplit
func Unmask(irq uint8) {
	if irq < 8 {
		amd64.Outb(0x21, amd64.Inb(0x21)&^(1<<irq))
	} else {
		amd64.Outb(0xa1, amd64.Inb(0xa1)&^(1<<(irq-8)))
	}
}

// EOI acknowledges an IRQ at the PIC.
//
//go:nosplit
func EOI(irq uint8) {
	if irq >= 8 {
		amd64.Outb(0xa0, 0x20)
	}
	amd64.Outb(0x20, 0x20)
}

// Mask disables an IRQ line.
//
//go:nosplit
func Mask(irq uint8) {
	if irq < 8 {
		amd64.Outb(0x21, amd64.Inb(0x21)|1<<irq)
	} else {
		amd64.Outb(0xa1, amd64.Inb(0xa1)|1<<(irq-8))
	}
}
