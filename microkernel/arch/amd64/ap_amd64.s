// Application processors: the entry at the kernel's linked address that the
// trampoline (ap.go) jumps to, and the handlers of a parked CPU's vectors.

#include "go_asm.h"
#include "textflag.h"

// apEntry runs on the temporary page tables with no stack. It switches to
// the kernel's page tables, the stack PrepareAP gave, GS at this CPU's data
// and FS at the TLS block inside it, and enters Go.
TEXT ·apEntry(SB), NOSPLIT|NOFRAME, $0
	MOVQ ·apKernelCR3(SB), AX
	MOVQ AX, CR3
	MOVQ ·apStack(SB), SP
	MOVQ ·apCPU(SB), BX
	MOVQ BX, AX
	MOVQ AX, DX
	SHRQ $32, DX
	MOVL $0xC0000101, CX // IA32_GS_BASE
	WRMSR
	LEAQ (CPU_tls+8)(BX), AX
	MOVQ AX, DX
	SHRQ $32, DX
	MOVL $0xC0000100, CX // IA32_FS_BASE
	WRMSR
	CALL ·apMain(SB)
	JMP ·Stop(SB)

// apTick and apWake count the interrupt in this CPU's data and acknowledge
// it; the HLT of the parked CPU then returns.
TEXT ·apTick(SB), NOSPLIT|NOFRAME, $0
	INCQ CPU_Ticks(GS)
	JMP ·apEOI(SB)

TEXT ·apWake(SB), NOSPLIT|NOFRAME, $0
	INCQ CPU_Wakes(GS)
	JMP ·apEOI(SB)

TEXT ·apEOI(SB), NOSPLIT|NOFRAME, $0
	PUSHQ AX
	MOVQ CPU_EOI(GS), AX
	MOVL $0, (AX)
	POPQ AX
	IRETQ

// A spurious interrupt is not acknowledged.
TEXT ·apSpurious(SB), NOSPLIT|NOFRAME, $0
	IRETQ

// apTrap is every other vector: a bug on a CPU that runs nothing.
TEXT ·apTrap(SB), NOSPLIT|NOFRAME, $0
	CALL ·apTrapped(SB)
	JMP ·Stop(SB)

DATA ·apEntryAddr+0(SB)/8, $·apEntry(SB)
GLOBL ·apEntryAddr(SB), RODATA, $8
DATA ·apStubs+0(SB)/8, $·apTick(SB)
DATA ·apStubs+8(SB)/8, $·apWake(SB)
DATA ·apStubs+16(SB)/8, $·apSpurious(SB)
DATA ·apStubs+24(SB)/8, $·apTrap(SB)
GLOBL ·apStubs(SB), RODATA, $32
