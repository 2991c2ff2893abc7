package authpb

import (
	"slices"
	"syscall"

	"aramid/lib/linux/cred"
	"aramid/lib/linux/dac"
)

// FromCred returns c as the protocol's Cred message.
func FromCred(c *cred.Cred) *Cred {
	return &Cred{
		Ruid: c.RUID, Euid: c.EUID, Suid: c.SUID, Fsuid: c.FSUID,
		Rgid: c.RGID, Egid: c.EGID, Sgid: c.SGID, Fsgid: c.FSGID,
		Groups:         slices.Clone(c.Groups),
		CapEffective:   uint64(c.Effective),
		CapPermitted:   uint64(c.Permitted),
		CapInheritable: uint64(c.Inheritable),
		CapBounding:    uint64(c.Bounding),
		CapAmbient:     uint64(c.Ambient),
		Securebits:     c.Securebits,
	}
}

// ToCred returns the credential a Cred message describes, or EINVAL for
// a missing one or one no Linux process can hold (cred.Cred.Valid).
func ToCred(p *Cred) (*cred.Cred, error) {
	if p == nil {
		return nil, syscall.EINVAL
	}
	c := &cred.Cred{
		RUID: p.Ruid, EUID: p.Euid, SUID: p.Suid, FSUID: p.Fsuid,
		RGID: p.Rgid, EGID: p.Egid, SGID: p.Sgid, FSGID: p.Fsgid,
		Groups:      slices.Clone(p.Groups),
		Effective:   dac.CapSet(p.CapEffective),
		Permitted:   dac.CapSet(p.CapPermitted),
		Inheritable: dac.CapSet(p.CapInheritable),
		Bounding:    dac.CapSet(p.CapBounding),
		Ambient:     dac.CapSet(p.CapAmbient),
		Securebits:  p.Securebits,
	}
	if err := c.Valid(); err != nil {
		return nil, err
	}
	return c, nil
}

// ToDAC returns the file-access part of a Cred message, for a server such
// as vfsd that receives credentials in its requests and checks them with
// package dac.
func ToDAC(p *Cred) *dac.Cred {
	return &dac.Cred{FSUID: p.GetFsuid(), FSGID: p.GetFsgid(), Groups: p.GetGroups(),
		Caps: dac.CapSet(p.GetCapEffective())}
}
