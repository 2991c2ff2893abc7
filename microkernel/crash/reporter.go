package crash

import (
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/arch/x86/x86asm"

	"aramid/microkernel/dev"
	"aramid/microkernel/hosting"
	"aramid/microkernel/mm"
)

//go:nosplit
func addrOfWord() uintptr { return uintptr(unsafe.Pointer(&crashWord)) }

// StartReporter starts the reporter thread and returns once it runs. A
// fault before it first waits is not lost: it checks the word before each
// wait, and Fault sets the word before it wakes it.
func StartReporter() {
	ready := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		atomic.StoreInt32(&reporterTID, int32(syscall.Gettid()))
		close(ready)
		for atomic.LoadUint32(&crashWord) == 0 {
			hosting.WaitWord(addrOfWord(), 0)
		}
		report(os.Stdout, &rec)
		dev.QEMUExit(dev.ExitFailure)
		select {}
	}()
	<-ready
}

// report prints the decoded faulting instruction and a frame-pointer
// traceback.
func report(w *os.File, r *record) {
	fmt.Fprintf(w, "faulting instruction: %s\n", Disassemble(r.code[:r.ncode], r.frame.RIP))
	fmt.Fprintf(w, "traceback (thread %d, frame pointers):\n", r.tid)
	for _, pc := range walk(r.frame.RIP, r.frame.RBP) {
		fmt.Fprintf(w, "  %s\n", Symbolize(pc))
	}
	fmt.Fprintln(w, "--- end of crash report ---")
}

// Disassemble decodes one instruction at pc in Go assembler syntax.
func Disassemble(code []byte, pc uint64) string {
	inst, err := x86asm.Decode(code, 64)
	if err != nil {
		return fmt.Sprintf("(cannot decode % x: %v)", code, err)
	}
	return fmt.Sprintf("%s  [%s]", x86asm.GoSyntax(inst, pc, nil), x86asm.GNUSyntax(inst, pc, nil))
}

// Symbolize names the function and line of pc.
func Symbolize(pc uint64) string {
	fn := runtime.FuncForPC(uintptr(pc))
	if fn == nil {
		return fmt.Sprintf("%#x ?", pc)
	}
	file, line := fn.FileLine(uintptr(pc))
	return fmt.Sprintf("%#x %s\n      %s:%d", pc, fn.Name(), file, line)
}

// walk follows the frame-pointer chain from a faulting frame: the faulting
// PC, then each saved return address, for at most 32 frames.
func walk(rip, rbp uint64) []uint64 {
	pcs := []uint64{rip}
	for i := 0; i < 32 && rbp != 0 && rbp%8 == 0; i++ {
		if !mm.Mapped(rbp) || !mm.Mapped(rbp+8) {
			break
		}
		ret := *(*uint64)(mm.Ptr(uintptr(rbp + 8)))
		next := *(*uint64)(mm.Ptr(uintptr(rbp)))
		if ret == 0 {
			break
		}
		pcs = append(pcs, ret-1)
		if next <= rbp {
			break
		}
		rbp = next
	}
	return pcs
}
