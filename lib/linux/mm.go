package linux

// mmap(2) and mprotect(2) protections.
const (
	PROT_NONE  = 0x0
	PROT_READ  = 0x1
	PROT_WRITE = 0x2
	PROT_EXEC  = 0x4
)

// mmap(2) flags.
const (
	MAP_SHARED          = 0x1
	MAP_PRIVATE         = 0x2
	MAP_SHARED_VALIDATE = 0x3
	MAP_FIXED           = 0x10
	MAP_ANONYMOUS       = 0x20
	MAP_GROWSDOWN       = 0x100
	MAP_NORESERVE       = 0x4000
	MAP_POPULATE        = 0x8000
	MAP_STACK           = 0x20000
	MAP_FIXED_NOREPLACE = 0x100000
)

// madvise(2) advice that frees pages.
const (
	MADV_DONTNEED = 4
	MADV_FREE     = 8
)
