package console

import (
	"testing"
	"unsafe"

	"aramid/microkernel/arch/amd64"
)

// TestRegisterOrder checks the word indexes against the Frame layout.
func TestRegisterOrder(t *testing.T) {
	var f amd64.Frame
	offsets := map[string]uintptr{
		"RIP": unsafe.Offsetof(f.RIP), "RSP": unsafe.Offsetof(f.RSP), "RBP": unsafe.Offsetof(f.RBP),
		"RFLAGS": unsafe.Offsetof(f.RFLAGS), "RAX": unsafe.Offsetof(f.RAX), "RBX": unsafe.Offsetof(f.RBX),
		"RCX": unsafe.Offsetof(f.RCX), "RDX": unsafe.Offsetof(f.RDX), "RSI": unsafe.Offsetof(f.RSI),
		"RDI": unsafe.Offsetof(f.RDI), " R8": unsafe.Offsetof(f.R8), " R9": unsafe.Offsetof(f.R9),
		"R10": unsafe.Offsetof(f.R10), "R11": unsafe.Offsetof(f.R11), "R12": unsafe.Offsetof(f.R12),
		"R13": unsafe.Offsetof(f.R13), "R14": unsafe.Offsetof(f.R14), "R15": unsafe.Offsetof(f.R15),
		" CS": unsafe.Offsetof(f.CS), " SS": unsafe.Offsetof(f.SS),
	}
	for _, r := range registerOrder {
		if off, ok := offsets[r.name]; !ok || uintptr(r.index)*8 != off {
			t.Errorf("%s: index %d, field at offset %d", r.name, r.index, off)
		}
	}
}
