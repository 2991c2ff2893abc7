// Package linuxhost runs credential and file-access operations for real on
// the host's Linux kernel, so that authd's model can be compared with it.
//
// Each operation runs on its own OS thread of a helper process (the test
// binary, re-executed): the goroutine locks its thread, gives the thread
// the case's credential with raw system calls (Linux credentials are per
// thread; Go's syscall.Setuid would change every thread), does the
// operation, and exits still locked, so the runtime discards the thread.
// The test process itself never changes its credential.
package linuxhost

import (
	"runtime"
	"sync"
	"syscall"
	"unsafe"

	"aramid/lib/linux/cred"
	"aramid/lib/linux/dac"
)

// prctl options.
const (
	prSetKeepcaps     = 8
	prCapbsetRead     = 23
	prCapbsetDrop     = 24
	prGetSecurebits   = 27
	prSetSecurebits   = 28
	prCapAmbient      = 47
	prCapAmbientIsSet = 1
	prCapAmbientRaise = 2

	capVersion3 = 0x20080522
)

// onThread runs f on a fresh OS thread that is discarded afterwards, and
// returns f's result.
func onThread[T any](f func() T) T {
	ch := make(chan T)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		ch <- f()
	}()
	return <-ch
}

func raw(trap uintptr, a ...uintptr) (uintptr, syscall.Errno) {
	var args [3]uintptr
	copy(args[:], a)
	r, _, e := syscall.RawSyscall(trap, args[0], args[1], args[2])
	return r, e
}

func prctl(op uintptr, a ...uintptr) (uintptr, syscall.Errno) {
	var args [4]uintptr
	copy(args[:], a)
	r, _, e := syscall.RawSyscall6(syscall.SYS_PRCTL, op, args[0], args[1], args[2], args[3], 0)
	return r, e
}

type capHeader struct {
	version uint32
	pid     int32
}

type capData struct{ effective, permitted, inheritable uint32 }

func capset(eff, perm, inh dac.CapSet) syscall.Errno {
	h := capHeader{version: capVersion3}
	d := [2]capData{
		{uint32(eff), uint32(perm), uint32(inh)},
		{uint32(eff >> 32), uint32(perm >> 32), uint32(inh >> 32)},
	}
	_, e := raw(syscall.SYS_CAPSET, uintptr(unsafe.Pointer(&h)), uintptr(unsafe.Pointer(&d[0])))
	return e
}

func capget() (eff, perm, inh dac.CapSet) {
	h := capHeader{version: capVersion3}
	var d [2]capData
	raw(syscall.SYS_CAPGET, uintptr(unsafe.Pointer(&h)), uintptr(unsafe.Pointer(&d[0])))
	join := func(lo, hi uint32) dac.CapSet { return dac.CapSet(lo) | dac.CapSet(hi)<<32 }
	return join(d[0].effective, d[1].effective), join(d[0].permitted, d[1].permitted),
		join(d[0].inheritable, d[1].inheritable)
}

func setgroups(groups []uint32) syscall.Errno {
	var p uintptr
	if len(groups) > 0 {
		p = uintptr(unsafe.Pointer(&groups[0]))
	}
	_, e := raw(syscall.SYS_SETGROUPS, uintptr(len(groups)), p)
	return e
}

// hostLastCap is the highest capability number the host knows.
var hostLastCap = sync.OnceValue(lastCap)

func lastCap() int {
	for c := dac.CapLast; c < 63; c++ {
		if _, e := prctl(prCapbsetRead, uintptr(c+1)); e != 0 {
			return c
		}
	}
	return 63
}

// become gives the calling thread, which must be locked and start with
// full root privileges, the credential c: the inheritable set first, the
// ids while SECBIT_KEEP_CAPS holds the permitted set, then, while every
// permitted capability is effective, the fs ids, the ambient set and the
// secure bits, then the other capability sets, and last the keep-caps
// bit. Start credentials with lock bits are not supported.
//
// Capabilities the host does not grant the helper (a container may keep
// some back) are left out of every set.
func become(c *cred.Cred) syscall.Errno {
	_, avail, _ := capget()
	eff, perm, inh := c.Effective&avail, c.Permitted&avail, c.Inheritable&avail
	steps := []func() syscall.Errno{
		func() syscall.Errno { _, e := prctl(prSetKeepcaps, 1); return e },
		// The inheritable set may not grow past the bounding set later.
		func() syscall.Errno { return capset(avail, avail, inh) },
		func() syscall.Errno {
			for cp := 0; cp <= hostLastCap(); cp++ {
				if !c.Bounding.Has(cp) {
					if _, e := prctl(prCapbsetDrop, uintptr(cp)); e != 0 {
						return e
					}
				}
			}
			return 0
		},
		func() syscall.Errno { return setgroups(c.Groups) },
		func() syscall.Errno {
			_, e := raw(syscall.SYS_SETRESGID, uintptr(c.RGID), uintptr(c.EGID), uintptr(c.SGID))
			return e
		},
		func() syscall.Errno {
			_, e := raw(syscall.SYS_SETRESUID, uintptr(c.RUID), uintptr(c.EUID), uintptr(c.SUID))
			return e
		},
		// Raise everything still permitted so setfs[ug]id may move freely
		// and the secure bits may be set.
		func() syscall.Errno { _, perm, _ := capget(); return capset(perm, perm, inh) },
		func() syscall.Errno { raw(syscall.SYS_SETFSUID, uintptr(c.FSUID)); return 0 },
		func() syscall.Errno { raw(syscall.SYS_SETFSGID, uintptr(c.FSGID)); return 0 },
		func() syscall.Errno {
			for cp := 0; cp < 64; cp++ {
				if (c.Ambient & avail).Has(cp) {
					if _, e := prctl(prCapAmbient, prCapAmbientRaise, uintptr(cp)); e != 0 {
						return e
					}
				}
			}
			return 0
		},
		func() syscall.Errno {
			if c.Securebits&^cred.SecureKeepCaps == 0 {
				return 0 // needs no CAP_SETPCAP, which a container may lack
			}
			_, e := prctl(prSetSecurebits, uintptr(c.Securebits|cred.SecureKeepCaps))
			return e
		},
		func() syscall.Errno { return capset(eff, perm, inh) },
		func() syscall.Errno {
			_, e := prctl(prSetKeepcaps, uintptr(c.Securebits&cred.SecureKeepCaps)>>4)
			return e
		},
	}
	for _, step := range steps {
		if e := step(); e != 0 {
			return e
		}
	}
	return 0
}

// current reads the calling thread's credential back from the kernel.
func current() *cred.Cred {
	var c cred.Cred
	raw(syscall.SYS_GETRESUID, uintptr(unsafe.Pointer(&c.RUID)), uintptr(unsafe.Pointer(&c.EUID)),
		uintptr(unsafe.Pointer(&c.SUID)))
	raw(syscall.SYS_GETRESGID, uintptr(unsafe.Pointer(&c.RGID)), uintptr(unsafe.Pointer(&c.EGID)),
		uintptr(unsafe.Pointer(&c.SGID)))
	fsuid, _ := raw(syscall.SYS_SETFSUID, uintptr(cred.NoChange))
	fsgid, _ := raw(syscall.SYS_SETFSGID, uintptr(cred.NoChange))
	c.FSUID, c.FSGID = uint32(fsuid), uint32(fsgid)
	n, _ := raw(syscall.SYS_GETGROUPS, 0, 0)
	if n > 0 {
		c.Groups = make([]uint32, n)
		raw(syscall.SYS_GETGROUPS, n, uintptr(unsafe.Pointer(&c.Groups[0])))
	}
	c.Effective, c.Permitted, c.Inheritable = capget()
	for cp := 0; cp <= hostLastCap(); cp++ {
		if r, _ := prctl(prCapbsetRead, uintptr(cp)); r == 1 {
			c.Bounding |= 1 << cp
		}
		if r, _ := prctl(prCapAmbient, prCapAmbientIsSet, uintptr(cp)); r == 1 {
			c.Ambient |= 1 << cp
		}
	}
	bits, _ := prctl(prGetSecurebits)
	c.Securebits = uint32(bits)
	return &c
}
