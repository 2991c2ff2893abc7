// The trap path. Every way into the kernel lands in trapCommon with the same
// Frame layout (frame.go): interrupt and exception stubs (vectors_amd64.s)
// arrive on an IST stack with the hardware frame, the vector and an error
// code pushed; SYSCALL arrives through syscallEntry, which switches to the
// syscall stack and builds the same hardware frame by hand. trapCommon saves
// the general registers and the FPU/SSE state, calls dispatch, and returns
// with IRETQ to whatever thread dispatch left in the frame.

#include "go_asm.h"
#include "textflag.h"

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
	SUBQ $(512+16), SP
	ANDQ $~15, SP
	LEAQ 16(SP), CX
	FXSAVE64 (CX)
	MOVQ BX, 0(SP)
	MOVQ CX, 8(SP)
	CALL ·dispatch(SB)
	DECQ CPU_trapDepth(GS)
	LEAQ 16(SP), CX
	FXRSTOR64 (CX)
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
	JEQ 2(PC)
	SWAPGS
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
