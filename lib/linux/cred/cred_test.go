package cred

import (
	"encoding/binary"
	"slices"
	"syscall"
	"testing"

	"aramid/lib/linux/dac"
)

// These cases pin rules that host_test.go and exec_test.go compare with
// the host kernel, so that they are checked where the tests cannot run
// as root too.
func TestRules(t *testing.T) {
	user, err := Root().Setresuid(1000, 1000, 1000)
	if err != nil || user.Permitted != 0 || user.Effective != 0 {
		t.Fatalf("root to user: %+v, %v; want no capabilities", user, err)
	}
	if _, err := user.Setuid(0); err != syscall.EPERM {
		t.Errorf("user setuid(0): %v, want EPERM", err)
	}
	if _, err := Root().Setuid(NoChange); err != syscall.EINVAL {
		t.Errorf("setuid(-1): %v, want EINVAL", err)
	}
	if n, old := user.Setfsuid(0); old != 1000 || n.FSUID != 1000 {
		t.Errorf("user setfsuid(0) = fsuid %d, returned %d; want 1000, 1000", n.FSUID, old)
	}
	fs, _ := Root().Setfsuid(1000)
	if fs.Effective.Has(dac.CapDacOverride) || !fs.Effective.Has(dac.CapSetuid) {
		t.Errorf("root setfsuid(1000): effective %#x; want the fs capabilities dropped only", fs.Effective)
	}
	g, _ := Root().Setgroups([]uint32{30, 10, 20, 10})
	if !slices.Equal(g.Groups, []uint32{10, 10, 20, 30}) {
		t.Errorf("setgroups keeps %v, want sorted with duplicates", g.Groups)
	}
	if _, err := Root().Setgroups(make([]uint32, NGroupsMax+1)); err != syscall.EINVAL {
		t.Errorf("setgroups of %d: %v, want EINVAL", NGroupsMax+1, err)
	}
	suidRoot := ExecFile{Mode: syscall.S_IFREG | 0o4755}
	if n := user.Exec(suidRoot); n.EUID != 0 || n.Effective != dac.AllCaps || n.RUID != 1000 {
		t.Errorf("exec setuid root: %+v", n)
	}
	suidRoot.NoSuid = true
	if n := user.Exec(suidRoot); n.EUID != 1000 || n.Effective != 0 {
		t.Errorf("exec setuid root on a nosuid mount: %+v", n)
	}
	if n := user.Exec(ExecFile{Mode: syscall.S_IFREG | 0o2745, GID: 50}); n.EGID != 0 {
		t.Errorf("set-group-ID without group x changed egid to %d", n.EGID)
	}
	// access(2) by a set-uid-root program run by a user uses the user.
	suid := user.Exec(ExecFile{Mode: syscall.S_IFREG | 0o4755})
	if d := suid.AccessDAC(); d.FSUID != 1000 || d.Caps != 0 {
		t.Errorf("AccessDAC of a setuid-root process: %+v", d)
	}
}

// FuzzTransitions applies arbitrary sequences of transitions to root's
// credential and checks the invariants Linux keeps: effective within
// permitted, ambient within permitted and inheritable, sorted groups,
// known secure bits, and a credential the protocol accepts back.
func FuzzTransitions(f *testing.F) {
	f.Add([]byte{0, 1, 0, 0, 0, 2, 3, 0xe8, 3, 0, 0})
	f.Add([]byte{10, 8, 1, 0, 0, 2, 0xe8, 3, 0, 0, 11, 4, 0, 0, 0})
	f.Fuzz(func(t *testing.T, prog []byte) {
		c := Root()
		for len(prog) >= 5 {
			op, arg := prog[0], uint64(binary.LittleEndian.Uint32(prog[1:5]))
			prog = prog[5:]
			id := uint32(arg)
			var n *Cred
			var err error
			switch op % 14 {
			case 0:
				n, err = c.Setuid(id)
			case 1:
				n, err = c.Setreuid(id, id>>8)
			case 2:
				n, err = c.Setresuid(id, id>>4, id>>8)
			case 3:
				n, _ = c.Setfsuid(id)
			case 4:
				n, err = c.Setgid(id)
			case 5:
				n, err = c.Setregid(id, id>>8)
			case 6:
				n, err = c.Setresgid(id, id>>4, id>>8)
			case 7:
				n, _ = c.Setfsgid(id)
			case 8:
				n, err = c.Setgroups([]uint32{id, id >> 8, id >> 16})
			case 9:
				n = c.Exec(ExecFile{Mode: syscall.S_IFREG | id&0o7777, UID: id >> 12, GID: id >> 20})
			case 10:
				n, err = c.Capset(dac.CapSet(arg), dac.CapSet(arg|arg<<3), dac.CapSet(arg>>2))
			default:
				// options 7 to 70, which take in every credential prctl
				n, _, err = c.Prctl(uint64(op%14-11)*16+7+arg&31, arg>>5&7, arg>>8&63, 0, 0)
			}
			if err != nil {
				continue
			}
			checkInvariants(t, n)
			c = n
		}
	})
}

func checkInvariants(t *testing.T, c *Cred) {
	t.Helper()
	switch {
	case c.Effective&^c.Permitted != 0:
		t.Fatalf("effective outside permitted: %+v", c)
	case c.Ambient&^(c.Permitted&c.Inheritable) != 0:
		t.Fatalf("ambient outside permitted and inheritable: %+v", c)
	case !slices.IsSorted(c.Groups):
		t.Fatalf("groups not sorted: %+v", c)
	case c.Securebits&^(secureBits|secureLocks) != 0:
		t.Fatalf("unknown secure bits: %+v", c)
	}
	if err := c.Valid(); err != nil {
		t.Fatalf("credential is not valid: %+v: %v", c, err)
	}
}

// TestCapabilityRange: the prctl calls that name a capability take 0 to
// CAP_LAST_CAP (40) and refuse the next number with EINVAL.
func TestCapabilityRange(t *testing.T) {
	root := Root()
	root.Inheritable = dac.AllCaps
	for _, c := range []struct {
		name       string
		op, a2, a3 uint64
	}{
		{"PR_CAPBSET_READ", PrCapbsetRead, dac.CapLast, 0},
		{"PR_CAPBSET_DROP", PrCapbsetDrop, dac.CapLast, 0},
		{"PR_CAP_AMBIENT raise", PrCapAmbient, PrCapAmbientRaise, dac.CapLast},
		{"PR_CAP_AMBIENT is set", PrCapAmbient, PrCapAmbientIsSet, dac.CapLast},
	} {
		a2, a3 := c.a2, c.a3
		if _, _, err := root.Prctl(c.op, a2, a3, 0, 0); err != nil {
			t.Errorf("%s of capability %d: %v", c.name, dac.CapLast, err)
		}
		if c.op == PrCapAmbient {
			a3++
		} else {
			a2++
		}
		if _, _, err := root.Prctl(c.op, a2, a3, 0, 0); err != syscall.EINVAL {
			t.Errorf("%s of capability %d: %v, want EINVAL", c.name, dac.CapLast+1, err)
		}
	}
	if _, v, _ := root.Prctl(PrCapbsetRead, dac.CapLast, 0, 0, 0); v != 1 {
		t.Errorf("PR_CAPBSET_READ of CAP_LAST_CAP for root = %d, want 1", v)
	}
	n, _, err := root.Prctl(PrCapbsetDrop, dac.CapLast, 0, 0, 0)
	if err != nil || n.Bounding != dac.AllCaps&^(1<<dac.CapLast) {
		t.Errorf("drop CAP_LAST_CAP: bounding %#x, %v", n.Bounding, err)
	}
	n, _, err = root.Prctl(PrCapAmbient, PrCapAmbientRaise, dac.CapLast, 0, 0)
	if err != nil || n.Ambient != 1<<dac.CapLast {
		t.Errorf("raise ambient CAP_LAST_CAP: ambient %#x, %v", n.Ambient, err)
	}
}

// TestValidGroups: a credential may hold NGROUPS_MAX groups, not one more.
func TestValidGroups(t *testing.T) {
	c := Root()
	c.Groups = make([]uint32, NGroupsMax)
	if err := c.Valid(); err != nil {
		t.Errorf("%d groups: %v", NGroupsMax, err)
	}
	c.Groups = append(c.Groups, 0)
	if err := c.Valid(); err != syscall.EINVAL {
		t.Errorf("%d groups: %v, want EINVAL", NGroupsMax+1, err)
	}
}

// TestSetgroupsLimit: setgroups(2) takes up to NGROUPS_MAX groups.
func TestSetgroupsLimit(t *testing.T) {
	g := make([]uint32, NGroupsMax)
	if _, err := Root().Setgroups(g); err != nil {
		t.Errorf("setgroups of %d: %v", len(g), err)
	}
	if _, err := Root().Setgroups(append(g, 0)); err != syscall.EINVAL {
		t.Errorf("setgroups of %d: %v, want EINVAL", len(g)+1, err)
	}
}
