package main

import (
	"aramid/lib/abi"
	"aramid/lib/ipc"
	"aramid/servers/linuxd/task"
)

// kernelHost is the microkernel through lib/ipc: Linux processes are
// kernel processes tied to linuxd's syscall port.
type kernelHost struct{ port ipc.Handle }

func (h kernelHost) Create(name string, cookie uint64) (task.Proc, error) {
	p, err := ipc.LinuxCreate(h.port, name, cookie)
	return proc(p), err
}

func (h kernelHost) Fork(parent task.Proc, tid int, cookie uint64) (task.Proc, int, error) {
	p, ctid, err := ipc.LinuxFork(ipc.Handle(parent.(proc)), tid, cookie)
	return proc(p), ctid, err
}

func (h kernelHost) Reply(r *abi.LinuxReply) error { return ipc.PortReply(h.port, r) }

// proc is a handle to a Linux process.
type proc ipc.Handle

func (p proc) ReadAt(b []byte, addr uint64) error  { return ipc.ProcessRead(ipc.Handle(p), addr, b) }
func (p proc) WriteAt(b []byte, addr uint64) error { return ipc.ProcessWrite(ipc.Handle(p), addr, b) }

func (p proc) VM(op int, addr, length uint64, prot int) (uint64, error) {
	return ipc.ProcessVM(ipc.Handle(p), op, addr, length, prot)
}

func (p proc) StartThread(regs *abi.Regs, like int) (int, error) {
	return ipc.ThreadStart(ipc.Handle(p), regs, like)
}

func (p proc) Affinity(tid int, mask uint64) (uint64, error) {
	return ipc.Affinity(ipc.Handle(p), tid, mask)
}

func (p proc) Kill(status int) error { return ipc.ProcessKill(ipc.Handle(p), status) }

func (p proc) FutexWake(addr uint64, n int) error {
	_, err := ipc.ProcessFutexWake(ipc.Handle(p), addr, n)
	return err
}

func (p proc) Interrupt(tid int) error { return ipc.ThreadInterrupt(ipc.Handle(p), tid) }

func (p proc) Close() error { return ipc.Close(ipc.Handle(p)) }
