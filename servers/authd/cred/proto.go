package cred

import (
	"slices"
	"syscall"

	"aramid/proto/authpb"
	"aramid/servers/authd/dac"
)

// Proto returns c as the auth protocol's Cred message.
func (c *Cred) Proto() *authpb.Cred {
	return &authpb.Cred{
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

// FromProto returns the credential a Cred message describes, or EINVAL
// for one no Linux process can hold: more than NGroupsMax groups, an
// effective or ambient capability outside the permitted set, an ambient
// one outside the inheritable set, or unknown secure bits.
func FromProto(p *authpb.Cred) (*Cred, error) {
	if p == nil {
		return nil, syscall.EINVAL
	}
	c := &Cred{
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
	if len(c.Groups) > NGroupsMax || c.Effective&^c.Permitted != 0 ||
		c.Ambient&^(c.Permitted&c.Inheritable) != 0 || c.Securebits&^(secureBits|secureLocks) != 0 {
		return nil, syscall.EINVAL
	}
	return c, nil
}

// DACFromProto returns the file-access part of a Cred message, for a
// server such as vfsd that receives credentials in its requests and
// checks them with package dac.
func DACFromProto(p *authpb.Cred) *dac.Cred {
	return &dac.Cred{FSUID: p.GetFsuid(), FSGID: p.GetFsgid(), Groups: p.GetGroups(),
		Caps: dac.CapSet(p.GetCapEffective())}
}
