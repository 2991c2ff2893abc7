package amd64

import (
	"fmt"
	"testing"

	"golang.org/x/arch/x86/x86asm"
)

// TestTrampoline decodes the hand-encoded trampoline, 16-bit code up to the
// far jump and 64-bit code after it, and checks each instruction, the data
// offsets it names and the far jump's target.
func TestTrampoline(t *testing.T) {
	load := func(reg string, off int) string { return fmt.Sprintf("mov %s, dword ptr [%#x]", reg, off) }
	want16 := []string{
		"cli", "cld", "mov ax, cs", "mov ds, ax",
		fmt.Sprintf("lgdt ptr [%#x]", trampGDTR),
		load("eax", trampCR4), "mov cr4, eax",
		load("eax", trampCR3), "mov cr3, eax",
		"mov ecx, -0x3fffff80", // EFER, 0xc0000080
		load("eax", trampEFER), load("edx", trampEFER+4), "wrmsr",
		load("eax", trampCR0), "mov cr0, eax",
	}
	want64 := []string{
		"mov eax, 0x10", "mov ds, ax", "mov es, ax", "mov ss, ax",
		fmt.Sprintf("mov rax, qword ptr [%#x]", TrampolinePage+trampEntry), "jmp rax",
	}
	code := trampoline[:]
	off := 0
	next := func(mode int) x86asm.Inst {
		t.Helper()
		inst, err := x86asm.Decode(code[off:], mode)
		if err != nil {
			t.Fatalf("offset %#x: %v", off, err)
		}
		off += inst.Len
		return inst
	}
	for _, w := range want16 {
		if got := x86asm.IntelSyntax(next(16), 0, nil); got != w {
			t.Errorf("16-bit code: got %q, want %q", got, w)
		}
	}
	jmp := next(16)
	sel, ok1 := jmp.Args[0].(x86asm.Imm)
	target, ok2 := jmp.Args[1].(x86asm.Imm)
	if jmp.Op != x86asm.LJMP || !ok1 || !ok2 || jmp.DataSize != 32 {
		t.Fatalf("no 32-bit far jump after CR0: %v %#v", jmp, jmp.Args)
	}
	if sel != KernelCS || target != x86asm.Imm(TrampolinePage+off) {
		t.Errorf("far jump to %#x:%#x, want %#x:%#x", sel, target, KernelCS, TrampolinePage+off)
	}
	for _, w := range want64 {
		if got := x86asm.IntelSyntax(next(64), 0, nil); got != w {
			t.Errorf("64-bit code: got %q, want %q", got, w)
		}
	}
	if off != len(code) || off > trampGDT {
		t.Errorf("code is %d bytes, decoded %d; data starts at %#x", len(code), off, trampGDT)
	}
}
