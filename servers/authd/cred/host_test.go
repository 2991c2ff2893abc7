package cred_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"

	"aramid/servers/authd/cred"
	"aramid/servers/authd/dac"
	"aramid/servers/authd/internal/linuxhost"
)

func TestMain(m *testing.M) { linuxhost.Main(m) }

var (
	idPool = []uint32{0, 1000, 1001, 1002}
	// capPool holds the capabilities the transitions touch, fs and not.
	capPool = []int{dac.CapChown, dac.CapDacOverride, dac.CapDacReadSearch, dac.CapFowner,
		dac.CapFsetid, dac.CapKill, dac.CapSetgid, dac.CapSetuid, dac.CapSetpcap,
		dac.CapLinuxImmutable, dac.CapNetBindService, dac.CapNetRaw, dac.CapMknod, dac.CapSysAdmin}
)

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

func randCaps(r *rand.Rand, from dac.CapSet, p int) dac.CapSet {
	var s dac.CapSet
	for cp := range 64 {
		if from.Has(cp) && r.IntN(p) != 0 {
			s |= 1 << cp
		}
	}
	return s
}

// randCred returns a credential a Linux thread can hold: any ids, a
// permitted set, effective and inheritable sets within the rules, an
// ambient set within permitted and inheritable, and some secure bits.
func randCred(r *rand.Rand) *cred.Cred {
	c := &cred.Cred{
		RUID: pick(r, idPool), EUID: pick(r, idPool), SUID: pick(r, idPool),
		RGID: pick(r, idPool), EGID: pick(r, idPool), SGID: pick(r, idPool),
	}
	c.FSUID, c.FSGID = c.EUID, c.EGID
	if r.IntN(4) == 0 {
		c.FSUID = pick(r, idPool)
	}
	if r.IntN(4) == 0 {
		c.FSGID = pick(r, idPool)
	}
	for _, g := range []uint32{100, 1000, 1001} {
		if r.IntN(3) == 0 {
			c.Groups = append(c.Groups, g)
		}
	}
	var pool dac.CapSet
	for _, cp := range capPool {
		pool |= 1 << cp
	}
	c.Permitted = randCaps(r, pool, pick(r, []int{1, 2, 2, 8}))
	c.Effective = randCaps(r, c.Permitted, pick(r, []int{1, 2}))
	c.Inheritable = randCaps(r, pool, pick(r, []int{1, 2, 8}))
	c.Ambient = randCaps(r, c.Permitted&c.Inheritable, 2)
	c.Bounding = dac.AllCaps
	if r.IntN(4) == 0 {
		c.Bounding = randCaps(r, dac.AllCaps, 2)
	}
	if r.IntN(3) == 0 {
		c.Securebits |= cred.SecureKeepCaps
	}
	if r.IntN(10) == 0 {
		c.Securebits |= cred.SecureNoSetuidFixup
	}
	if r.IntN(10) == 0 {
		c.Securebits |= cred.SecureNoroot
	}
	return c
}

func randID(r *rand.Rand) uint32 {
	if r.IntN(5) == 0 {
		return cred.NoChange
	}
	return pick(r, idPool)
}

var calls = []string{"setuid", "setreuid", "setresuid", "setfsuid",
	"setgid", "setregid", "setresgid", "setfsgid", "setgroups"}

var nargs = map[string]int{"setuid": 1, "setreuid": 2, "setresuid": 3, "setfsuid": 1,
	"setgid": 1, "setregid": 2, "setresgid": 3, "setfsgid": 1}

func randStep(r *rand.Rand) linuxhost.Step {
	s := linuxhost.Step{Call: pick(r, calls)}
	for range nargs[s.Call] {
		s.Args = append(s.Args, randID(r))
	}
	if s.Call == "setgroups" {
		s.Groups = []uint32{}
		for range r.IntN(4) {
			s.Groups = append(s.Groups, pick(r, []uint32{5, 100, 1000, 1001}))
		}
	}
	return s
}

// apply runs one step on the model: the new credential (c itself when
// the call fails or changes nothing), the errno and the return value.
func apply(c *cred.Cred, s linuxhost.Step) (*cred.Cred, syscall.Errno, uint32) {
	var n *cred.Cred
	var err error
	a := s.Args
	switch s.Call {
	case "setuid":
		n, err = c.Setuid(a[0])
	case "setreuid":
		n, err = c.Setreuid(a[0], a[1])
	case "setresuid":
		n, err = c.Setresuid(a[0], a[1], a[2])
	case "setfsuid":
		n, old := c.Setfsuid(a[0])
		return n, 0, old
	case "setgid":
		n, err = c.Setgid(a[0])
	case "setregid":
		n, err = c.Setregid(a[0], a[1])
	case "setresgid":
		n, err = c.Setresgid(a[0], a[1], a[2])
	case "setfsgid":
		n, old := c.Setfsgid(a[0])
		return n, 0, old
	case "setgroups":
		n, err = c.Setgroups(s.Groups)
	default:
		panic("unknown call " + s.Call)
	}
	if err != nil {
		return c, err.(syscall.Errno), 0
	}
	return n, 0, 0
}

// outcome names what a step did, for the coverage table: the call, its
// errno, and how the capability sets moved.
func outcome(s linuxhost.Step, old, n *cred.Cred, e syscall.Errno) string {
	parts := []string{s.Call, errName(e)}
	if e == 0 && reflect.DeepEqual(old, n) {
		parts = append(parts, "unchanged")
	}
	if old.Permitted != 0 && n.Permitted == 0 {
		parts = append(parts, "permitted-cleared")
	}
	if old.Effective != 0 && n.Effective == 0 {
		parts = append(parts, "effective-cleared")
	} else if n.Effective&^old.Effective != 0 {
		parts = append(parts, "effective-raised")
	} else if old.Effective&^n.Effective != 0 {
		parts = append(parts, "effective-dropped")
	}
	if old.Ambient != 0 && n.Ambient == 0 {
		parts = append(parts, "ambient-cleared")
	}
	return strings.Join(parts, " ")
}

func errName(e syscall.Errno) string {
	switch e {
	case 0:
		return "ok"
	case syscall.EPERM:
		return "EPERM"
	case syscall.EINVAL:
		return "EINVAL"
	}
	return e.Error()
}

// normalize makes a host credential comparable with the model's: the
// capability sets limited to what the host lets the helper have, and an
// empty group list as nil.
func normalize(c *cred.Cred, avail dac.CapSet) *cred.Cred {
	n := *c
	n.Effective &= avail
	n.Permitted &= avail
	n.Inheritable &= avail
	n.Ambient &= avail
	n.Bounding &= avail
	if len(n.Groups) == 0 {
		n.Groups = nil
	}
	return &n
}

// TestTransitionsAgainstHost runs generated sequences of setuid-family
// calls from generated credentials on the model and on the host, and
// requires the same errno, return value and credential after every step.
// It also requires that every call was seen succeeding and failing, and
// logs how often each outcome was compared.
func TestTransitionsAgainstHost(t *testing.T) {
	linuxhost.NeedRoot(t)
	r := rand.New(rand.NewPCG(11, 2026))
	const n = 4000
	ops := make([]linuxhost.Op, n)
	for i := range ops {
		c := randCred(r)
		slices.Sort(c.Groups)
		ops[i] = linuxhost.Op{Cred: c, Kind: "steps"}
		for range 1 + r.IntN(3) {
			ops[i].Steps = append(ops[i].Steps, randStep(r))
		}
	}
	res := linuxhost.Run(t, ops)
	avail := linuxhost.Available()
	seen := map[string]int{}
	bad, steps := 0, 0
	for i, op := range ops {
		c := normalize(op.Cred, avail)
		for j, s := range op.Steps {
			steps++
			n, e, ret := apply(c, s)
			seen[outcome(s, c, n, e)]++
			h := res[i].Steps[j]
			hc := normalize(h.Cred, avail)
			retDiffers := (s.Call == "setfsuid" || s.Call == "setfsgid") && ret != h.Ret
			if e != h.Errno || retDiffers || !reflect.DeepEqual(normalize(n, avail), hc) {
				if bad++; bad <= 10 {
					t.Errorf("from %+v\n  step %d %s %v %v:\n  model %s ret %d %+v\n  host  %s ret %d %+v",
						*op.Cred, j, s.Call, s.Args, s.Groups, errName(e), ret, *n, errName(h.Errno), h.Ret, *hc)
				}
				break
			}
			c = n
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d sequences differ from the host kernel", bad, n)
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var table strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&table, "\n  %5d  %s", seen[k], k)
	}
	t.Logf("%d sequences, %d steps agree with the host kernel; outcomes:%s", n, steps, table.String())
	for _, call := range calls {
		need := []string{call + " ok", call + " EPERM"}
		switch call {
		case "setuid", "setgid":
			need = append(need, call+" EINVAL")
		case "setfsuid", "setfsgid":
			need = []string{call + " ok"}
		}
		for _, k := range need {
			if !hasPrefix(keys, k) {
				t.Errorf("no generated case covers %q", k)
			}
		}
	}
}

func hasPrefix(keys []string, p string) bool {
	for _, k := range keys {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}
