package proc

import (
	"syscall"

	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/mm"
	"aramid/microkernel/sched"
)

// forkCall is process_fork(bootstrap): a new process with a copy-on-write
// copy of the caller's memory, its memory-object mappings, and one thread
// — a copy of the calling one — that sees 0 returned. Handles are not
// inherited, except the bootstrap channel if one is given. This is the
// kernel half of Linux fork, which linuxd will build on.
//
//go:nosplit
func forkCall(p int32, f *amd64.Frame, fx *amd64.FXArea, boot uint64) uint64 {
	var bh *Handle
	if boot != 0 {
		hd, e := lookupHandle(p, boot, KindChannel, RightTransfer)
		if e != 0 {
			return neg(e)
		}
		bh = hd
	}
	i, _, e := forkProcess(p, f, fx, sched.Current().Mask())
	if e != 0 {
		return neg(e)
	}
	child := &Procs[i]
	if bh != nil {
		child.Handles[0] = *bh
		*bh = Handle{}
	}
	child.refs++
	h := install(p, Handle{Kind: KindProcess, Rights: RightWait | RightTransfer | RightDup, Obj: i})
	if h == 0 {
		child.refs--
		return neg(syscall.EMFILE)
	}
	return h
}

// forkProcess makes a copy-on-write copy of process p, with its
// memory-object mappings and one thread whose state is f and fx; the
// child and its thread get CPU mask (the forking thread's). It returns
// the child and that thread's id.
//
//go:nosplit
func forkProcess(p int32, f *amd64.Frame, fx *amd64.FXArea, mask uint64) (int32, int32, syscall.Errno) {
	parent := &Procs[p]
	i, e := newProcess(parent.Name(), parent.Space.Limit*mm.PageSize)
	if e != 0 {
		return 0, 0, e
	}
	child := &Procs[i]
	if !parent.Space.CloneCOW(&child.Space) {
		Kill(i, StatusMemory)
		return 0, 0, syscall.ENOMEM
	}
	child.Space.Reserve = parent.Space.Reserve
	for k, v := range parent.mappings {
		if v != 0 {
			child.mappings[k] = v
			vmos[v].refs++
		}
	}
	child.mask = mask
	tid := sched.ForkThread(f, fx, i, child.Space.Root, mask)
	if tid < 0 {
		Kill(i, StatusMemory)
		return 0, 0, syscall.EAGAIN
	}
	return i, tid, 0
}
