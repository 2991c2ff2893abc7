// The trap path. Every way into the kernel lands in trapCommon with the same
// Frame layout (frame.go): interrupt and exception stubs (vectors_amd64.s)
// arrive on an IST stack with the hardware frame, the vector and an error
// code pushed; SYSCALL arrives through syscallEntry, which switches to the
// syscall stack and builds the same hardware frame by hand. trapCommon saves
// the general registers and the SSE registers, calls dispatch, and returns
// with IRETQ to whatever thread dispatch left in the frame.
//
// The FPU state is saved lazily (docs/performance.md). The kernel's Go code
// uses the XMM registers (X15 is Go's zero register, memmove uses the rest)
// but never the x87 registers and never changes MXCSR, so on entry only the
// sixteen XMM registers are stored, at their offsets in the trap's FX area,
// and on the way out only they are loaded again: sixteen inline moves each
// way, where FXSAVE and FXRSTOR are long helper calls under TCG. The area
// becomes a whole FXSAVE image only when dispatch needs one (FullFX, when
// it saves the thread) or loads another thread's (LoadedFX); then CPU.fxFull
// is set and the exit path loads the whole image with FXRSTOR.

#include "go_asm.h"
#include "textflag.h"

// fxXMM is the offset of XMM0 in an FXSAVE image; XMM1-15 follow it.
#define fxXMM 160
// sysretFlags are the RFLAGS bits SYSRET takes from R11.
#define sysretFlags 0x3C7FD7

TEXT ·trapCommon(SB), NOSPLIT|NOFRAME, $0
	// From ring 3, GS is the thread's: swap in this CPU's (docs/smp.md).
	TESTQ $3, 24(SP) // the hardware frame's CS, above vector and error code
	JEQ 2(PC)
	SWAPGS
	JMP ·trapSwapped(SB)

// trapSwapped is trapCommon once GS is the kernel's; syscallEntry, which
// swaps GS itself, enters here.
TEXT ·trapSwapped(SB), NOSPLIT|NOFRAME, $0
	PUSHQ AX
	PUSHQ BX
	PUSHQ CX
	PUSHQ DX
	PUSHQ SI
	PUSHQ DI
	PUSHQ BP
	PUSHQ R8
	PUSHQ R9
	PUSHQ R10
	PUSHQ R11
	PUSHQ R12
	PUSHQ R13
	PUSHQ R14
	PUSHQ R15
	// The interrupted thread's FS base is part of its frame: saved here,
	// and written back (or the next thread's) just before IRETQ; with
	// RDFSBASE and WRFSBASE where the CPU has them (fsgsbase, frame.go).
	CMPB ·fsgsbase(SB), $0
	JEQ rdmsrfs
	RDFSBASEQ AX
	JMP fssaved
rdmsrfs:
	MOVL $0xC0000100, CX
	RDMSR
	SHLQ $32, DX
	ORQ DX, AX
fssaved:
	PUSHQ AX
	// A trap while dispatching a trap while dispatching a trap is a broken
	// trap path (for example a fault in the ABI wrapper itself): stop
	// rather than loop.
	INCQ CPU_trapDepth(GS)
	CMPQ CPU_trapDepth(GS), $3
	JGE runaway
	// From ring 3, FS holds the user's TLS; the ABI wrapper of dispatch
	// reads g through FS, so point it at the kernel's TLS block. The
	// user's FS base is restored from the frame on the way out.
	TESTQ $3, 152(SP) // Frame.CS
	JEQ kernelmode
	MOVQ ·kernelTLS(SB), AX
	CMPB ·fsgsbase(SB), $0
	JEQ wrmsrtls
	WRFSBASEQ AX
	JMP kernelmode
wrmsrtls:
	MOVL $0xC0000100, CX
	MOVQ AX, DX
	SHRQ $32, DX
	WRMSR
kernelmode:
	MOVQ SP, BX
	MOVQ SP, BP // Go preserves BP across the call
	// Below the frame: dispatch's two arguments, the fxFull and fxArea of
	// a trap this one interrupted (a fault in the trap path), and the FX
	// area.
	SUBQ $(512+32), SP
	ANDQ $~15, SP
	LEAQ 32(SP), CX
	MOVUPS X0, fxXMM+0(CX)
	MOVUPS X1, fxXMM+16(CX)
	MOVUPS X2, fxXMM+32(CX)
	MOVUPS X3, fxXMM+48(CX)
	MOVUPS X4, fxXMM+64(CX)
	MOVUPS X5, fxXMM+80(CX)
	MOVUPS X6, fxXMM+96(CX)
	MOVUPS X7, fxXMM+112(CX)
	MOVUPS X8, fxXMM+128(CX)
	MOVUPS X9, fxXMM+144(CX)
	MOVUPS X10, fxXMM+160(CX)
	MOVUPS X11, fxXMM+176(CX)
	MOVUPS X12, fxXMM+192(CX)
	MOVUPS X13, fxXMM+208(CX)
	MOVUPS X14, fxXMM+224(CX)
	MOVUPS X15, fxXMM+240(CX)
	MOVQ CPU_fxFull(GS), AX
	MOVQ AX, 16(SP)
	MOVQ $0, CPU_fxFull(GS)
	MOVQ CPU_fxArea(GS), AX
	MOVQ AX, 24(SP)
	MOVQ CX, CPU_fxArea(GS)
	MOVQ BX, 0(SP)
	MOVQ CX, 8(SP)
	CALL ·dispatch(SB)
	DECQ CPU_trapDepth(GS)
	LEAQ 32(SP), CX
	CMPQ CPU_fxFull(GS), $0
	JEQ xmmonly
	FXRSTOR64 (CX)
	JMP fxloaded
xmmonly:
	MOVUPS fxXMM+0(CX), X0
	MOVUPS fxXMM+16(CX), X1
	MOVUPS fxXMM+32(CX), X2
	MOVUPS fxXMM+48(CX), X3
	MOVUPS fxXMM+64(CX), X4
	MOVUPS fxXMM+80(CX), X5
	MOVUPS fxXMM+96(CX), X6
	MOVUPS fxXMM+112(CX), X7
	MOVUPS fxXMM+128(CX), X8
	MOVUPS fxXMM+144(CX), X9
	MOVUPS fxXMM+160(CX), X10
	MOVUPS fxXMM+176(CX), X11
	MOVUPS fxXMM+192(CX), X12
	MOVUPS fxXMM+208(CX), X13
	MOVUPS fxXMM+224(CX), X14
	MOVUPS fxXMM+240(CX), X15
fxloaded:
	MOVQ 16(SP), AX
	MOVQ AX, CPU_fxFull(GS)
	MOVQ 24(SP), AX
	MOVQ AX, CPU_fxArea(GS)
	MOVQ BP, SP
	POPQ AX
	CMPB ·fsgsbase(SB), $0
	JEQ wrmsrfs
	WRFSBASEQ AX
	JMP fsrestored
wrmsrfs:
	MOVQ AX, DX
	SHRQ $32, DX
	MOVL $0xC0000100, CX
	WRMSR
fsrestored:
	POPQ R15
	POPQ R14
	POPQ R13
	POPQ R12
	POPQ R11
	POPQ R10
	POPQ R9
	POPQ R8
	POPQ BP
	POPQ DI
	POPQ SI
	POPQ DX
	POPQ CX
	POPQ BX
	POPQ AX
	ADDQ $16, SP // vector and error code
	TESTQ $3, 8(SP) // CS: back to ring 3 with the thread's GS
	JEQ iret
	SWAPGS
	// SYSRET restores RIP from RCX and RFLAGS from R11, loads the user
	// selectors from STAR and leaves RSP alone. Where that is exactly the
	// frame (a thread returning from SYSCALL, which left RCX = RIP and
	// R11 = RFLAGS, unless the kernel gave it a new context) it is the
	// cheaper way out: under TCG IRETQ loads and checks both descriptors
	// from the GDT and the data segments. Only the general registers are
	// free now, so each check compares them with the hardware frame.
	CMPQ CX, 0(SP) // RIP
	JNE iret
	CMPQ R11, 16(SP) // RFLAGS
	JNE iret
	// A non-canonical RCX makes SYSRET fault in ring 0 on Intel CPUs
	// (with the user's stack): return to the lower half only.
	CMPL 4(SP), $0x7fff
	JHI iret
	TESTQ $~sysretFlags, 16(SP) // flags SYSRET would not restore (RF, VM)
	JNE iret
	CMPQ 8(SP), $const_UserCS
	JNE iret
	CMPQ 32(SP), $const_UserSS
	JNE iret
	MOVQ 24(SP), SP
	BYTE $0x48; BYTE $0x0f; BYTE $0x07 // SYSRETQ
iret:
	IRETQ

runaway:
	LEAQ ·runawayMsg(SB), SI
	MOVQ $const_runawayLen, CX
	MOVW $0x3f8, DX
putc:
	MOVB (SI), AX
	OUTB
	INCQ SI
	LOOP putc
	MOVW $0xf4, DX
	MOVB $1, AX
	OUTB
	CLI
halt:
	HLT
	JMP halt

// syscallEntry is the LSTAR target. SYSCALL left the return RIP in CX and
// RFLAGS in R11, masked IF, and did not switch stacks.
TEXT ·syscallEntry(SB), NOSPLIT|NOFRAME, $0
	// Kernel code runs only in the upper half, so a return address in the
	// lower half means the call came from ring 3, with the thread's GS.
	BTQ $63, CX
	JCS fromkernel
	SWAPGS
	MOVQ SP, CPU_syscallSP(GS)
	MOVQ CPU_syscallTop(GS), SP
	PUSHQ $const_UserSS          // SS
	PUSHQ CPU_syscallSP(GS)      // RSP
	PUSHQ R11                    // RFLAGS
	PUSHQ $const_UserCS          // CS
	JMP pushed
fromkernel:
	MOVQ SP, CPU_syscallSP(GS)
	MOVQ CPU_syscallTop(GS), SP
	PUSHQ $const_KernelSS        // SS
	PUSHQ CPU_syscallSP(GS)      // RSP
	PUSHQ R11                    // RFLAGS
	PUSHQ $const_KernelCS        // CS
pushed:
	PUSHQ CX                     // RIP
	PUSHQ $0                     // error code
	PUSHQ $const_SyscallVector   // vector
	JMP ·trapSwapped(SB)

DATA ·syscallEntryAddr+0(SB)/8, $·syscallEntry(SB)
GLOBL ·syscallEntryAddr(SB), RODATA, $8

// FullFX completes fx if it is the current trap's FX area and holds only
// the XMM registers: the x87 state and MXCSR, which the kernel never
// changes, are still the trapped thread's in the CPU, so FXSAVE into this
// CPU's scratch area and take the first 160 bytes (everything before XMM0).
TEXT ·FullFX(SB), NOSPLIT, $0-8
	MOVQ fx+0(FP), DI
	CMPQ DI, CPU_fxArea(GS)
	JNE done
	CMPQ CPU_fxFull(GS), $0
	JNE done
	MOVQ 0(GS), SI // CPU.self
	LEAQ (CPU_fxScratch+15)(SI), SI
	ANDQ $~15, SI
	FXSAVE64 (SI)
	MOVUPS 0(SI), X0
	MOVUPS X0, 0(DI)
	MOVUPS 16(SI), X0
	MOVUPS X0, 16(DI)
	MOVUPS 32(SI), X0
	MOVUPS X0, 32(DI)
	MOVUPS 48(SI), X0
	MOVUPS X0, 48(DI)
	MOVUPS 64(SI), X0
	MOVUPS X0, 64(DI)
	MOVUPS 80(SI), X0
	MOVUPS X0, 80(DI)
	MOVUPS 96(SI), X0
	MOVUPS X0, 96(DI)
	MOVUPS 112(SI), X0
	MOVUPS X0, 112(DI)
	MOVUPS 128(SI), X0
	MOVUPS X0, 128(DI)
	MOVUPS 144(SI), X0
	MOVUPS X0, 144(DI)
	MOVQ $1, CPU_fxFull(GS)
done:
	RET
