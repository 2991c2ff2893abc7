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

	"aramid/lib/linux/cred"
	"aramid/lib/linux/dac"
	"aramid/lib/linux/internal/linuxhost"
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
	pool := capPoolSet()
	c.Permitted = randCaps(r, pool, pick(r, []int{1, 2, 2, 8}))
	c.Effective = randCaps(r, c.Permitted, pick(r, []int{1, 2}))
	c.Inheritable = randCaps(r, pool, pick(r, []int{1, 2, 8}))
	c.Ambient = randCaps(r, c.Permitted&c.Inheritable, 2)
	c.Bounding = dac.AllCaps
	if r.IntN(3) == 0 {
		c.Securebits |= cred.SecureKeepCaps
	}
	if !linuxhost.Available().Has(dac.CapSetpcap) {
		return c // the helper can neither drop bounding capabilities nor set secure bits
	}
	if r.IntN(4) == 0 {
		c.Bounding = randCaps(r, dac.AllCaps, 2)
	}
	if r.IntN(10) == 0 {
		c.Securebits |= cred.SecureNoSetuidFixup
	}
	if r.IntN(10) == 0 {
		c.Securebits |= cred.SecureNoroot
	}
	if r.IntN(10) == 0 {
		c.Securebits |= cred.SecureNoCapAmbientRaise
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
	"setgid", "setregid", "setresgid", "setfsgid", "setgroups", "capset", "prctl"}

// prctlOptions names the credential prctl options, for the outcome table.
var prctlOptions = map[uint64]string{
	cred.PrGetKeepcaps: "PR_GET_KEEPCAPS", cred.PrSetKeepcaps: "PR_SET_KEEPCAPS",
	cred.PrCapbsetRead: "PR_CAPBSET_READ", cred.PrCapbsetDrop: "PR_CAPBSET_DROP",
	cred.PrGetSecurebits: "PR_GET_SECUREBITS", cred.PrSetSecurebits: "PR_SET_SECUREBITS",
	cred.PrCapAmbient: "PR_CAP_AMBIENT",
}

var nargs = map[string]int{"setuid": 1, "setreuid": 2, "setresuid": 3, "setfsuid": 1,
	"setgid": 1, "setregid": 2, "setresgid": 3, "setfsgid": 1}

func randStep(r *rand.Rand) linuxhost.Step {
	s := linuxhost.Step{Call: pick(r, calls)}
	for range nargs[s.Call] {
		s.Args = append(s.Args, randID(r))
	}
	switch s.Call {
	case "setgroups":
		s.Groups = []uint32{}
		for range r.IntN(4) {
			s.Groups = append(s.Groups, pick(r, []uint32{5, 100, 1000, 1001}))
		}
	case "capset":
		perm := randCaps(r, capPoolSet(), 2)
		s.Wide = []uint64{uint64(randCaps(r, perm, 2)), uint64(perm), uint64(randCaps(r, capPoolSet(), 2))}
	case "prctl":
		s.Wide = randPrctl(r)
	}
	return s
}

func capPoolSet() dac.CapSet {
	var pool dac.CapSet
	for _, cp := range capPool {
		pool |= 1 << cp
	}
	return pool
}

// randPrctl returns the arguments of a credential prctl, mostly valid.
func randPrctl(r *rand.Rand) []uint64 {
	capArg := func() uint64 {
		if r.IntN(8) == 0 {
			return pick(r, []uint64{41, 63, 1 << 40})
		}
		return uint64(pick(r, capPool))
	}
	extra := func() uint64 { return uint64(r.IntN(12) / 11) } // mostly 0
	switch pick(r, []int{cred.PrGetKeepcaps, cred.PrSetKeepcaps, cred.PrCapbsetRead, cred.PrCapbsetDrop,
		cred.PrGetSecurebits, cred.PrSetSecurebits, cred.PrCapAmbient, cred.PrCapAmbient}) {
	case cred.PrGetKeepcaps:
		return []uint64{cred.PrGetKeepcaps}
	case cred.PrSetKeepcaps:
		return []uint64{cred.PrSetKeepcaps, uint64(r.IntN(3))}
	case cred.PrCapbsetRead:
		return []uint64{cred.PrCapbsetRead, capArg()}
	case cred.PrCapbsetDrop:
		return []uint64{cred.PrCapbsetDrop, capArg()}
	case cred.PrGetSecurebits:
		return []uint64{cred.PrGetSecurebits}
	case cred.PrSetSecurebits:
		return []uint64{cred.PrSetSecurebits, uint64(r.IntN(1 << 8))}
	}
	return []uint64{cred.PrCapAmbient, uint64(r.IntN(6)), capArg(), extra(), 0}
}

// apply runs one step on the model: the new credential (c itself when
// the call fails or changes nothing), the errno and the return value.
func apply(c *cred.Cred, s linuxhost.Step) (*cred.Cred, syscall.Errno, uint64) {
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
		return n, 0, uint64(old)
	case "setgid":
		n, err = c.Setgid(a[0])
	case "setregid":
		n, err = c.Setregid(a[0], a[1])
	case "setresgid":
		n, err = c.Setresgid(a[0], a[1], a[2])
	case "setfsgid":
		n, old := c.Setfsgid(a[0])
		return n, 0, uint64(old)
	case "setgroups":
		n, err = c.Setgroups(s.Groups)
	case "capset":
		n, err = c.Capset(dac.CapSet(s.Wide[0]), dac.CapSet(s.Wide[1]), dac.CapSet(s.Wide[2]))
	case "prctl":
		w := append(s.Wide, make([]uint64, 5)...)
		var ret uint64
		n, ret, err = c.Prctl(w[0], w[1], w[2], w[3], w[4])
		if err != nil {
			return c, err.(syscall.Errno), 0
		}
		return n, 0, ret
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
	call := s.Call
	if call == "prctl" {
		call = prctlOptions[s.Wide[0]]
		if s.Wide[0] == cred.PrCapAmbient {
			call += fmt.Sprintf("(%d)", s.Wide[1])
		}
	}
	parts := []string{call, errName(e)}
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
	linuxhost.NeedRoot(t, "lib/linux/cred: transitions against the host")
	r := rand.New(rand.NewPCG(11, 2026))
	const n = 5000
	ops := make([]linuxhost.Op, n)
	for i := range ops {
		c := randCred(r)
		slices.Sort(c.Groups)
		ops[i] = linuxhost.Op{Cred: c, Kind: "steps"}
		for range 1 + r.IntN(3) {
			ops[i].Steps = append(ops[i].Steps, randStep(r))
		}
	}
	ops = append(ops, fixedSequences()...)
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
			retDiffers := ret != h.Ret
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
		t.Fatalf("%d of %d sequences differ from the host kernel", bad, len(ops))
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
	t.Logf("%d sequences, %d steps agree with the host kernel; outcomes:%s", len(ops), steps, table.String())
	for _, call := range calls {
		need := []string{call + " ok", call + " EPERM"}
		switch call {
		case "setuid", "setgid":
			need = append(need, call+" EINVAL")
		case "setfsuid", "setfsgid":
			need = []string{call + " ok"}
		case "prctl":
			need = []string{"PR_SET_KEEPCAPS ok", "PR_SET_KEEPCAPS EINVAL", "PR_SET_KEEPCAPS EPERM",
				"PR_SET_SECUREBITS ok", "PR_SET_SECUREBITS EPERM", "PR_CAPBSET_DROP ok",
				"PR_CAPBSET_DROP EPERM", "PR_CAPBSET_DROP EINVAL", "PR_CAP_AMBIENT(2) ok",
				"PR_CAP_AMBIENT(2) EPERM", "PR_CAP_AMBIENT(3) ok", "PR_CAP_AMBIENT(4) ok"}
		}
		for _, k := range need {
			if setpcapOnly[k] && !avail.Has(dac.CapSetpcap) {
				t.Logf("the host withholds CAP_SETPCAP: %q cannot be reached", k)
				continue
			}
			if !hasPrefix(keys, k) {
				t.Errorf("no generated case covers %q", k)
			}
		}
	}
}

// setpcapOnly are the outcomes that need CAP_SETPCAP at some point, which
// a container may withhold.
var setpcapOnly = map[string]bool{
	"PR_SET_KEEPCAPS EPERM": true, "PR_SET_SECUREBITS ok": true,
	"PR_CAPBSET_DROP ok": true, "PR_CAPBSET_DROP EINVAL": true,
}

// fixedSequences are the cases random generation rarely reaches: locked
// secure bits, each ambient operation, and the group list limit.
func fixedSequences() []linuxhost.Op {
	root := func() *cred.Cred {
		return &cred.Cred{Effective: capPoolSet(), Permitted: capPoolSet(), Bounding: dac.AllCaps}
	}
	user := root()
	user.RUID, user.EUID, user.SUID, user.FSUID = 1000, 1000, 1000, 1000
	user.Effective, user.Permitted = 0, 0
	many := make([]uint32, cred.NGroupsMax+1)
	inheriting := root()
	inheriting.Inheritable = capPoolSet()
	prctl := func(w ...uint64) linuxhost.Step { return linuxhost.Step{Call: "prctl", Wide: w} }
	return []linuxhost.Op{
		{Cred: root(), Kind: "steps", Steps: []linuxhost.Step{
			prctl(cred.PrSetSecurebits, cred.SecureKeepCaps|cred.SecureKeepCaps<<1),
			prctl(cred.PrSetKeepcaps, 0),
			prctl(cred.PrSetSecurebits, cred.SecureKeepCaps),
			prctl(cred.PrSetSecurebits, cred.SecureKeepCaps|cred.SecureKeepCaps<<1|cred.SecureNoroot),
			{Call: "setresuid", Args: []uint32{1000, 1000, 1000}},
			prctl(cred.PrGetSecurebits),
		}},
		{Cred: root(), Kind: "steps", Steps: []linuxhost.Step{
			prctl(cred.PrSetSecurebits, cred.SecureNoCapAmbientRaise),
			prctl(cred.PrCapAmbient, cred.PrCapAmbientRaise, dac.CapNetBindService),
		}},
		{Cred: inheriting, Kind: "steps", Steps: []linuxhost.Step{
			prctl(cred.PrCapAmbient, cred.PrCapAmbientRaise, dac.CapNetBindService),
			prctl(cred.PrCapAmbient, cred.PrCapAmbientIsSet, dac.CapNetBindService),
			prctl(cred.PrCapAmbient, cred.PrCapAmbientLower, dac.CapNetBindService),
			prctl(cred.PrCapAmbient, cred.PrCapAmbientRaise, dac.CapKill),
			prctl(cred.PrCapAmbient, cred.PrCapAmbientClearAll),
			prctl(cred.PrCapbsetDrop, 63),
			prctl(cred.PrCapbsetDrop, dac.CapNetRaw),
		}},
		{Cred: root(), Kind: "steps", Steps: []linuxhost.Step{{Call: "setgroups", Groups: many}}},
		{Cred: user, Kind: "steps", Steps: []linuxhost.Step{{Call: "setgroups", Groups: many}}},
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

// TestStatusAgainstHost compares AppendStatus with the credential lines
// of /proc/thread-self/status on the host, for generated credentials.
func TestStatusAgainstHost(t *testing.T) {
	linuxhost.NeedRoot(t, "lib/linux/cred: /proc status against the host")
	r := rand.New(rand.NewPCG(19, 2026))
	ops := make([]linuxhost.Op, 300)
	for i := range ops {
		c := randCred(r)
		slices.Sort(c.Groups)
		ops[i] = linuxhost.Op{Cred: c, Kind: "status"}
	}
	res := linuxhost.Run(t, ops)
	avail := linuxhost.Available()
	for i, op := range ops {
		c := normalize(op.Cred, avail)
		if res[i].Errno != 0 {
			t.Fatalf("reading status: %v", res[i].Errno)
		}
		var host []byte
		for line := range strings.Lines(string(res[i].Output)) {
			for _, p := range []string{"Uid:", "Gid:", "Groups:", "Cap"} {
				if strings.HasPrefix(line, p) {
					host = append(host, line...)
				}
			}
		}
		if got := c.AppendStatus(nil); string(got) != string(host) {
			t.Fatalf("for %+v:\nmodel %q\nhost  %q", *c, got, host)
		}
	}
	t.Logf("%d /proc status renderings agree with the host kernel", len(ops))
}
