// The trap path's instructions timed one kind at a time (costs.go).

#include "go_asm.h"
#include "textflag.h"

// func costLoop(kind, n uint64) uint64
TEXT ·costLoop(SB), NOSPLIT|NOFRAME, $0-24
	MOVQ kind+0(FP), R8
	MOVQ n+8(FP), R9
	PUSHFQ
	CLI // SWAPGS must not be interrupted
	LEAQ ·costArea(SB), DI
	ADDQ $15, DI
	ANDQ $~15, DI
	RDTSC
	SHLQ $32, DX
	ORQ DX, AX
	MOVQ AX, R10
loop:
	CMPQ R8, $const_costFX
	JEQ fx
	CMPQ R8, $const_costXMM
	JEQ xmm
	CMPQ R8, $const_costSWAPGS
	JEQ swapgs
	CMPQ R8, $const_costFSBase
	JEQ fsbase
	CMPQ R8, $const_costFSMSR
	JEQ fsmsr
	CMPQ R8, $const_costIRETQ
	JEQ iret
	CMPQ R8, $const_costLock
	JEQ lock
	JMP next
fx:
	FXSAVE64 (DI)
	FXRSTOR64 (DI)
	JMP next
xmm:
	MOVUPS X0, 0(DI)
	MOVUPS X1, 16(DI)
	MOVUPS X2, 32(DI)
	MOVUPS X3, 48(DI)
	MOVUPS X4, 64(DI)
	MOVUPS X5, 80(DI)
	MOVUPS X6, 96(DI)
	MOVUPS X7, 112(DI)
	MOVUPS X8, 128(DI)
	MOVUPS X9, 144(DI)
	MOVUPS X10, 160(DI)
	MOVUPS X11, 176(DI)
	MOVUPS X12, 192(DI)
	MOVUPS X13, 208(DI)
	MOVUPS X14, 224(DI)
	MOVUPS X15, 240(DI)
	MOVUPS 0(DI), X0
	MOVUPS 16(DI), X1
	MOVUPS 32(DI), X2
	MOVUPS 48(DI), X3
	MOVUPS 64(DI), X4
	MOVUPS 80(DI), X5
	MOVUPS 96(DI), X6
	MOVUPS 112(DI), X7
	MOVUPS 128(DI), X8
	MOVUPS 144(DI), X9
	MOVUPS 160(DI), X10
	MOVUPS 176(DI), X11
	MOVUPS 192(DI), X12
	MOVUPS 208(DI), X13
	MOVUPS 224(DI), X14
	MOVUPS 240(DI), X15
	JMP next
swapgs:
	SWAPGS
	SWAPGS
	JMP next
fsbase:
	RDFSBASEQ AX
	WRFSBASEQ AX
	WRFSBASEQ AX
	JMP next
fsmsr:
	MOVL $0xC0000100, CX
	RDMSR
	WRMSR
	WRMSR
	JMP next
iret:
	CALL ·iretqToCaller(SB)
	JMP next
lock:
	XORL AX, AX
	MOVL $1, CX
	LOCK
	CMPXCHGL CX, ·costLockWord(SB)
	XORL CX, CX
	XCHGL CX, ·costLockWord(SB)
next:
	DECQ R9
	JNZ loop
	RDTSC
	SHLQ $32, DX
	ORQ DX, AX
	SUBQ R10, AX
	POPFQ
	MOVQ AX, ret+16(FP)
	RET

// iretqToCaller returns to its caller with IRETQ, in ring 0.
TEXT ·iretqToCaller(SB), NOSPLIT|NOFRAME, $0
	POPQ AX
	MOVQ SP, CX
	PUSHQ $const_KernelSS
	PUSHQ CX
	PUSHFQ
	PUSHQ $const_KernelCS
	PUSHQ AX
	IRETQ
