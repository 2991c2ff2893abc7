// The PVH entry path: QEMU enters Entry32 in 32-bit protected mode with
// paging off and EBX pointing at the hvm_start_info structure. The 32-bit
// part is hand-encoded (the Go assembler only emits 64-bit code); each BYTE
// line carries the instruction it encodes. It builds the boot page tables and
// a boot GDT in the reserved region at 1 MiB (see docs/boot.md), enables
// long mode and far-returns into the 64-bit code that follows.

#include "textflag.h"

// Physical layout of the early boot region (docs/boot.md; mm.bootPML4 must
// match the PML4 address).
// 0x100000 PML4, 0x101000 PDPT (low), 0x102000 PD (0-1 GiB, 2 MiB pages),
// 0x103000 PDPT (high, entry 510 = -2 GiB), 0x104000 GDT + GDTR + stack.

TEXT ·Entry32(SB), NOSPLIT|NOFRAME, $0
	BYTE $0xfa	// cli
	BYTE $0xfc	// cld
	BYTE $0x89; BYTE $0xde	// mov    %ebx,%esi
	BYTE $0xbc; BYTE $0x00; BYTE $0x4f; BYTE $0x10; BYTE $0x00	// mov    $0x104f00,%esp
	BYTE $0xbf; BYTE $0x00; BYTE $0x00; BYTE $0x10; BYTE $0x00	// mov    $0x100000,%edi
	BYTE $0x31; BYTE $0xc0	// xor    %eax,%eax
	BYTE $0xb9; BYTE $0x00; BYTE $0x14; BYTE $0x00; BYTE $0x00	// mov    $0x1400,%ecx
	BYTE $0xf3; BYTE $0xab	// rep stos %eax,%es:(%edi)
	BYTE $0xc7; BYTE $0x05; BYTE $0x00; BYTE $0x00; BYTE $0x10; BYTE $0x00; BYTE $0x03	// movl   $0x101003,0x100000
	BYTE $0x10; BYTE $0x10; BYTE $0x00
	BYTE $0xc7; BYTE $0x05; BYTE $0xf8; BYTE $0x0f; BYTE $0x10; BYTE $0x00; BYTE $0x03	// movl   $0x103003,0x100ff8
	BYTE $0x30; BYTE $0x10; BYTE $0x00
	BYTE $0xc7; BYTE $0x05; BYTE $0x00; BYTE $0x10; BYTE $0x10; BYTE $0x00; BYTE $0x03	// movl   $0x102003,0x101000
	BYTE $0x20; BYTE $0x10; BYTE $0x00
	BYTE $0xc7; BYTE $0x05; BYTE $0xf0; BYTE $0x3f; BYTE $0x10; BYTE $0x00; BYTE $0x03	// movl   $0x102003,0x103ff0
	BYTE $0x20; BYTE $0x10; BYTE $0x00
	BYTE $0xbf; BYTE $0x00; BYTE $0x20; BYTE $0x10; BYTE $0x00	// mov    $0x102000,%edi
	BYTE $0xb8; BYTE $0x83; BYTE $0x00; BYTE $0x00; BYTE $0x00	// mov    $0x83,%eax
	BYTE $0xb9; BYTE $0x00; BYTE $0x02; BYTE $0x00; BYTE $0x00	// mov    $0x200,%ecx
	BYTE $0x89; BYTE $0x07	// mov    %eax,(%edi)
	BYTE $0x05; BYTE $0x00; BYTE $0x00; BYTE $0x20; BYTE $0x00	// add    $0x200000,%eax
	BYTE $0x83; BYTE $0xc7; BYTE $0x08	// add    $0x8,%edi
	BYTE $0xe2; BYTE $0xf4	// loop   4e <entry32+0x4e>
	BYTE $0xc7; BYTE $0x05; BYTE $0x08; BYTE $0x40; BYTE $0x10; BYTE $0x00; BYTE $0xff	// movl   $0xffff,0x104008
	BYTE $0xff; BYTE $0x00; BYTE $0x00
	BYTE $0xc7; BYTE $0x05; BYTE $0x0c; BYTE $0x40; BYTE $0x10; BYTE $0x00; BYTE $0x00	// movl   $0xaf9a00,0x10400c
	BYTE $0x9a; BYTE $0xaf; BYTE $0x00
	BYTE $0xc7; BYTE $0x05; BYTE $0x10; BYTE $0x40; BYTE $0x10; BYTE $0x00; BYTE $0xff	// movl   $0xffff,0x104010
	BYTE $0xff; BYTE $0x00; BYTE $0x00
	BYTE $0xc7; BYTE $0x05; BYTE $0x14; BYTE $0x40; BYTE $0x10; BYTE $0x00; BYTE $0x00	// movl   $0xcf9200,0x104014
	BYTE $0x92; BYTE $0xcf; BYTE $0x00
	BYTE $0x66; BYTE $0xc7; BYTE $0x05; BYTE $0x20; BYTE $0x40; BYTE $0x10; BYTE $0x00	// movw   $0x17,0x104020
	BYTE $0x17; BYTE $0x00
	BYTE $0xc7; BYTE $0x05; BYTE $0x22; BYTE $0x40; BYTE $0x10; BYTE $0x00; BYTE $0x00	// movl   $0x104000,0x104022
	BYTE $0x40; BYTE $0x10; BYTE $0x00
	BYTE $0x0f; BYTE $0x01; BYTE $0x15; BYTE $0x20; BYTE $0x40; BYTE $0x10; BYTE $0x00	// lgdtl  0x104020
	BYTE $0xb8; BYTE $0xa0; BYTE $0x06; BYTE $0x00; BYTE $0x00	// mov    $0x6a0,%eax
	BYTE $0x0f; BYTE $0x22; BYTE $0xe0	// mov    %eax,%cr4
	BYTE $0xb8; BYTE $0x00; BYTE $0x00; BYTE $0x10; BYTE $0x00	// mov    $0x100000,%eax
	BYTE $0x0f; BYTE $0x22; BYTE $0xd8	// mov    %eax,%cr3
	BYTE $0xb9; BYTE $0x80; BYTE $0x00; BYTE $0x00; BYTE $0xc0	// mov    $0xc0000080,%ecx
	BYTE $0x0f; BYTE $0x32	// rdmsr
	BYTE $0x0d; BYTE $0x01; BYTE $0x09; BYTE $0x00; BYTE $0x00	// or     $0x901,%eax
	BYTE $0x0f; BYTE $0x30	// wrmsr
	BYTE $0x0f; BYTE $0x20; BYTE $0xc0	// mov    %cr0,%eax
	BYTE $0x83; BYTE $0xe0; BYTE $0xfb	// and    $0xfffffffb,%eax
	BYTE $0x0d; BYTE $0x22; BYTE $0x00; BYTE $0x00; BYTE $0x80	// or     $0x80000022,%eax
	BYTE $0x0f; BYTE $0x22; BYTE $0xc0	// mov    %eax,%cr0
	BYTE $0xe8; BYTE $0x00; BYTE $0x00; BYTE $0x00; BYTE $0x00	// call   cd <entry32+0xcd>
	BYTE $0x58	// pop    %eax
	BYTE $0x05; BYTE $0x0a; BYTE $0x00; BYTE $0x00; BYTE $0x00	// add    $0xa,%eax
	BYTE $0x6a; BYTE $0x08	// push   $0x8
	BYTE $0x50	// push   %eax
	BYTE $0xcb	// lret
	BYTE $0xb8; BYTE $0x10; BYTE $0x00; BYTE $0x00; BYTE $0x00	// mov    $0x10,%eax
	BYTE $0x8e; BYTE $0xd8	// mov    %eax,%ds
	BYTE $0x8e; BYTE $0xc0	// mov    %eax,%es
	BYTE $0x8e; BYTE $0xd0	// mov    %eax,%ss
	BYTE $0x8e; BYTE $0xe0	// mov    %eax,%fs
	BYTE $0x8e; BYTE $0xe8	// mov    %eax,%gs
	// Now in 64-bit mode at the physical (identity-mapped) address.
	// Jump to the linked, high virtual address. A RIP-relative load reads
	// the absolute address through the identity map.
	MOVQ ·entryHighAddr(SB), AX
	JMP AX

// entryHigh runs at the kernel's linked address. SI holds the physical
// address of hvm_start_info.
TEXT ·entryHigh(SB), NOSPLIT|NOFRAME, $0
	LEAQ ·earlyStack+65536(SB), SP
	// Valid TLS for the ABI wrappers before the runtime's settls.
	LEAQ ·earlyTLS+64(SB), AX
	MOVQ AX, DX
	SHRQ $32, DX
	MOVL $0xC0000100, CX // IA32_FS_BASE
	WRMSR
	SUBQ $16, SP
	MOVQ SI, 0(SP)
	CALL ·early(SB)
	MOVQ 8(SP), AX
	MOVQ AX, SP
	// The boot thread is an ordinary, preemptible thread from here on.
	STI
	// SP points at argc, argv, envp and auxv, as Linux leaves them.
	JMP _rt0_amd64_linux(SB)

DATA ·entryHighAddr+0(SB)/8, $·entryHigh(SB)
GLOBL ·entryHighAddr(SB), RODATA, $8

// imageEnd is the end of the kernel image (text, data and bss) in the link map.
DATA ·imageEndAddr+0(SB)/8, $runtime·end(SB)
GLOBL ·imageEndAddr(SB), RODATA, $8
