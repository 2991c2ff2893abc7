package cred

import (
	"syscall"

	"aramid/lib/linux/dac"
)

// More secure bits: each SECBIT_X has a lock bit right above it that
// freezes it, and SECBIT_NO_CAP_AMBIENT_RAISE forbids raising ambient
// capabilities. The exec-control bits of Linux 6.14 are not modelled, so
// setting them fails as on a kernel that predates them.
const (
	SecureNoCapAmbientRaise = 1 << 6
	secureBits              = SecureNoroot | SecureNoSetuidFixup | SecureKeepCaps | SecureNoCapAmbientRaise
	secureLocks             = secureBits << 1
	secureKeepCapsLocked    = SecureKeepCaps << 1
)

// prctl options that concern credentials (linux/prctl.h).
const (
	PrGetKeepcaps   = 7
	PrSetKeepcaps   = 8
	PrCapbsetRead   = 23
	PrCapbsetDrop   = 24
	PrGetSecurebits = 27
	PrSetSecurebits = 28
	PrCapAmbient    = 47

	PrCapAmbientIsSet    = 1
	PrCapAmbientRaise    = 2
	PrCapAmbientLower    = 3
	PrCapAmbientClearAll = 4
)

// Capset is capset(2) on the caller itself. The new permitted set may not
// grow, the effective set must lie within it, and the inheritable set may
// only gain capabilities from the bounding set, and from the permitted set
// unless the caller has CAP_SETPCAP. Ambient capabilities no longer both
// permitted and inheritable are dropped. Bits above the last capability
// are ignored, as Linux masks them.
func (c *Cred) Capset(eff, perm, inh dac.CapSet) (*Cred, error) {
	eff, perm, inh = eff&dac.AllCaps, perm&dac.AllCaps, inh&dac.AllCaps
	switch {
	case !c.Capable(dac.CapSetpcap) && inh&^(c.Inheritable|c.Permitted) != 0,
		inh&^(c.Inheritable|c.Bounding) != 0,
		perm&^c.Permitted != 0,
		eff&^perm != 0:
		return nil, syscall.EPERM
	}
	n := c.clone()
	n.Effective, n.Permitted, n.Inheritable = eff, perm, inh
	n.Ambient &= perm & inh
	return n, nil
}

// Prctl is the part of prctl(2) that reads or changes credentials:
// PR_GET/SET_KEEPCAPS, PR_GET/SET_SECUREBITS, PR_CAPBSET_READ/DROP and
// PR_CAP_AMBIENT. It returns the new credential (c when unchanged), the
// call's return value, and EINVAL for another option.
func (c *Cred) Prctl(option, arg2, arg3, arg4, arg5 uint64) (*Cred, uint64, error) {
	switch option {
	case PrGetKeepcaps:
		if c.Securebits&SecureKeepCaps != 0 {
			return c, 1, nil
		}
		return c, 0, nil
	case PrSetKeepcaps:
		if arg2 > 1 {
			return nil, 0, syscall.EINVAL
		}
		if c.Securebits&secureKeepCapsLocked != 0 {
			return nil, 0, syscall.EPERM
		}
		n := c.clone()
		n.Securebits &^= SecureKeepCaps
		if arg2 == 1 {
			n.Securebits |= SecureKeepCaps
		}
		return n, 0, nil
	case PrGetSecurebits:
		return c, uint64(c.Securebits), nil
	case PrSetSecurebits:
		return c.setSecurebits(arg2)
	case PrCapbsetRead:
		if arg2 > dac.CapLast {
			return nil, 0, syscall.EINVAL
		}
		if c.Bounding.Has(int(arg2)) {
			return c, 1, nil
		}
		return c, 0, nil
	case PrCapbsetDrop:
		if !c.Capable(dac.CapSetpcap) {
			return nil, 0, syscall.EPERM
		}
		if arg2 > dac.CapLast {
			return nil, 0, syscall.EINVAL
		}
		n := c.clone()
		n.Bounding &^= 1 << arg2
		return n, 0, nil
	case PrCapAmbient:
		return c.ambient(arg2, arg3, arg4|arg5)
	}
	return nil, 0, syscall.EINVAL
}

// setSecurebits is PR_SET_SECUREBITS: it needs CAP_SETPCAP, may not
// change a locked bit, remove a lock, or set an unknown bit (EPERM).
func (c *Cred) setSecurebits(bits uint64) (*Cred, uint64, error) {
	old := uint64(c.Securebits)
	if (old&secureLocks)>>1&(old^bits) != 0 || old&secureLocks&^bits != 0 ||
		bits&^(secureBits|secureLocks) != 0 || !c.Capable(dac.CapSetpcap) {
		return nil, 0, syscall.EPERM
	}
	n := c.clone()
	n.Securebits = uint32(bits)
	return n, 0, nil
}

// ambient is PR_CAP_AMBIENT: raising needs the capability both permitted
// and inheritable and SECBIT_NO_CAP_AMBIENT_RAISE clear (EPERM).
func (c *Cred) ambient(op, cp, rest uint64) (*Cred, uint64, error) {
	if op == PrCapAmbientClearAll {
		if cp|rest != 0 {
			return nil, 0, syscall.EINVAL
		}
		n := c.clone()
		n.Ambient = 0
		return n, 0, nil
	}
	if cp > dac.CapLast || rest != 0 {
		return nil, 0, syscall.EINVAL
	}
	bit := dac.CapSet(1) << cp
	switch op {
	case PrCapAmbientIsSet:
		if c.Ambient&bit != 0 {
			return c, 1, nil
		}
		return c, 0, nil
	case PrCapAmbientRaise:
		if c.Permitted&c.Inheritable&bit == 0 || c.Securebits&SecureNoCapAmbientRaise != 0 {
			return nil, 0, syscall.EPERM
		}
		n := c.clone()
		n.Ambient |= bit
		return n, 0, nil
	case PrCapAmbientLower:
		n := c.clone()
		n.Ambient &^= bit
		return n, 0, nil
	}
	return nil, 0, syscall.EINVAL
}
