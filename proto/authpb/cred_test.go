package authpb

import (
	"errors"
	"reflect"
	"syscall"
	"testing"

	"aramid/lib/linux/cred"
	"aramid/lib/linux/dac"
)

func TestCredRoundTrip(t *testing.T) {
	user := &cred.Cred{RUID: 1000, EUID: 0, SUID: 1000, FSUID: 0, RGID: 100, EGID: 100, SGID: 100, FSGID: 100,
		Groups: []uint32{4, 27}, Effective: dac.AllCaps, Permitted: dac.AllCaps, Inheritable: 1 << dac.CapKill,
		Bounding: dac.AllCaps, Ambient: 1 << dac.CapKill, Securebits: cred.SecureKeepCaps}
	for _, c := range []*cred.Cred{cred.Root(), user} {
		got, err := ToCred(FromCred(c))
		if err != nil || !reflect.DeepEqual(got, c) {
			t.Errorf("ToCred(FromCred(%+v)) = %+v, %v", c, got, err)
		}
	}
	if d := ToDAC(FromCred(user)); !reflect.DeepEqual(d, user.DAC()) {
		t.Errorf("ToDAC = %+v, want %+v", d, user.DAC())
	}
}

func TestToCredRejects(t *testing.T) {
	for _, p := range []*Cred{
		nil,
		{CapEffective: 1},                // effective outside permitted
		{CapPermitted: 1, CapAmbient: 1}, // ambient outside inheritable
		{Securebits: 1 << 31},            // unknown secure bit
		{Groups: make([]uint32, cred.NGroupsMax+1)}, // too many groups
	} {
		if _, err := ToCred(p); !errors.Is(err, syscall.EINVAL) {
			t.Errorf("ToCred(%v) = %v, want EINVAL", p, err)
		}
	}
}
