// CPU primitives: port I/O, control registers, MSRs and descriptor tables.
// Each is a leaf that Go calls through its ABI0 declaration in cpu.go.

#include "textflag.h"

TEXT ·Outb(SB), NOSPLIT, $0-3
	MOVW port+0(FP), DX
	MOVB val+2(FP), AX
	OUTB
	RET

TEXT ·Inb(SB), NOSPLIT, $0-9
	MOVW port+0(FP), DX
	INB
	MOVB AX, ret+8(FP)
	RET

TEXT ·Outl(SB), NOSPLIT, $0-8
	MOVW port+0(FP), DX
	MOVL val+4(FP), AX
	OUTL
	RET

TEXT ·Inl(SB), NOSPLIT, $0-12
	MOVW port+0(FP), DX
	INL
	MOVL AX, ret+8(FP)
	RET

TEXT ·ReadCR2(SB), NOSPLIT, $0-8
	MOVQ CR2, AX
	MOVQ AX, ret+0(FP)
	RET

TEXT ·ReadCR3(SB), NOSPLIT, $0-8
	MOVQ CR3, AX
	MOVQ AX, ret+0(FP)
	RET

TEXT ·ReadCR0(SB), NOSPLIT, $0-8
	MOVQ CR0, AX
	MOVQ AX, ret+0(FP)
	RET

TEXT ·ReadCR4(SB), NOSPLIT, $0-8
	MOVQ CR4, AX
	MOVQ AX, ret+0(FP)
	RET

TEXT ·WriteCR3(SB), NOSPLIT, $0-8
	MOVQ v+0(FP), AX
	MOVQ AX, CR3
	RET

TEXT ·readCR4(SB), NOSPLIT, $0-8
	MOVQ CR4, AX
	MOVQ AX, ret+0(FP)
	RET

TEXT ·writeCR4(SB), NOSPLIT, $0-8
	MOVQ v+0(FP), AX
	MOVQ AX, CR4
	RET

TEXT ·Invlpg(SB), NOSPLIT, $0-8
	MOVQ va+0(FP), AX
	INVLPG (AX)
	RET

TEXT ·Rdmsr(SB), NOSPLIT, $0-16
	MOVL msr+0(FP), CX
	RDMSR
	SHLQ $32, DX
	ORQ DX, AX
	MOVQ AX, ret+8(FP)
	RET

TEXT ·Wrmsr(SB), NOSPLIT, $0-16
	MOVL msr+0(FP), CX
	MOVQ val+8(FP), AX
	MOVQ AX, DX
	SHRQ $32, DX
	WRMSR
	RET

TEXT ·Rdtsc(SB), NOSPLIT, $0-8
	RDTSC
	SHLQ $32, DX
	ORQ DX, AX
	MOVQ AX, ret+0(FP)
	RET

// Rdrand returns a hardware random value; ok is false if the CPU had none.
TEXT ·Rdrand(SB), NOSPLIT, $0-9
	BYTE $0x48; BYTE $0x0f; BYTE $0xc7; BYTE $0xf0 // RDRAND AX
	SETCS ok+8(FP)
	MOVQ AX, v+0(FP)
	RET

TEXT ·Cpuid(SB), NOSPLIT, $0-24
	MOVL leaf+0(FP), AX
	MOVL sub+4(FP), CX
	CPUID
	MOVL AX, a+8(FP)
	MOVL BX, b+12(FP)
	MOVL CX, c+16(FP)
	MOVL DX, d+20(FP)
	RET

TEXT ·lgdt(SB), NOSPLIT, $0-8
	MOVQ p+0(FP), AX
	LGDT (AX)
	RET

TEXT ·lidt(SB), NOSPLIT, $0-8
	MOVQ p+0(FP), AX
	LIDT (AX)
	RET

TEXT ·ltr(SB), NOSPLIT, $0-2
	MOVW sel+0(FP), AX
	LTR AX
	RET

// Halt waits for the next interrupt with interrupts enabled.
TEXT ·Halt(SB), NOSPLIT, $0
	STI
	HLT
	CLI
	RET

// idleLoop is the body of the idle thread: it only ever waits for interrupts.
TEXT ·idleLoop(SB), NOSPLIT|NOFRAME, $0
idle:
	STI
	HLT
	JMP idle

DATA ·idleLoopAddr+0(SB)/8, $·idleLoop(SB)
GLOBL ·idleLoopAddr(SB), RODATA, $8

// Stop halts the processor for good.
TEXT ·Stop(SB), NOSPLIT|NOFRAME, $0
stop:
	CLI
	HLT
	JMP stop

// DisableInterrupts masks interrupts and returns the previous RFLAGS.
TEXT ·DisableInterrupts(SB), NOSPLIT, $0-8
	PUSHFQ
	POPQ AX
	CLI
	MOVQ AX, ret+0(FP)
	RET

// RestoreInterrupts restores IF from flags returned by DisableInterrupts.
TEXT ·RestoreInterrupts(SB), NOSPLIT, $0-8
	MOVQ flags+0(FP), AX
	BTQ $9, AX
	JCC off
	STI
off:
	RET

TEXT ·ThisCPU(SB), NOSPLIT, $0-8
	MOVQ 0(GS), AX
	MOVQ AX, ret+0(FP)
	RET
