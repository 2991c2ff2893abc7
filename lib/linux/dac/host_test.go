package dac_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"aramid/lib/linux/cred"
	"aramid/lib/linux/dac"
	"aramid/lib/linux/internal/linuxhost"
)

func TestMain(m *testing.M) { linuxhost.Main(m) }

// hostCase is one generated case: what the model says, and the operation
// that asks the host kernel the same question.
type hostCase struct {
	desc string
	op   linuxhost.Op
	// setup makes the case's files under dir, as root.
	setup func(dir string) error
	// model returns the model's answer: for calls that change the inode
	// the expected mode, uid and gid afterwards (else nil), and the errno.
	model func() (*dac.File, error)
	// target is the file whose mode and owner are compared afterwards.
	target string
}

// Caps and ids drawn from small pools, so that owners, groups and
// capabilities collide often enough to exercise every rule.
var (
	uids      = []uint32{0, 1000, 1001}
	gids      = []uint32{0, 100, 1000, 1001, 2000}
	extraGIDs = []uint32{100, 1001, 2000}
	someCaps  = []int{dac.CapChown, dac.CapDacOverride, dac.CapDacReadSearch, dac.CapFowner, dac.CapFsetid}
)

// hostCaps are the capabilities the host lets the helper hold: a
// container may withhold some (Docker's default set lacks
// CAP_DAC_READ_SEARCH), and cases cannot use those.
var hostCaps = linuxhost.Available()

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

func randCred(r *rand.Rand) dac.Cred {
	c := dac.Cred{FSUID: pick(r, uids), FSGID: pick(r, gids)}
	for _, g := range extraGIDs {
		if r.IntN(3) == 0 {
			c.Groups = append(c.Groups, g)
		}
	}
	if r.IntN(6) == 0 {
		c.Caps = dac.AllCaps & hostCaps
		return c
	}
	for _, cp := range someCaps {
		if r.IntN(4) == 0 {
			c.Caps = c.Caps.With(cp)
		}
	}
	c.Caps &= hostCaps
	return c
}

func randFile(r *rand.Rand, typ uint32) dac.File {
	return dac.File{Mode: typ | uint32(r.IntN(0o10000)), UID: pick(r, uids), GID: pick(r, gids)}
}

// hostCred is the host credential for a DAC credential: every uid the
// fsuid, every gid the fsgid, the capabilities effective and permitted.
func hostCred(c dac.Cred) *cred.Cred {
	g := slices.Clone(c.Groups)
	slices.Sort(g)
	return &cred.Cred{
		RUID: c.FSUID, EUID: c.FSUID, SUID: c.FSUID, FSUID: c.FSUID,
		RGID: c.FSGID, EGID: c.FSGID, SGID: c.FSGID, FSGID: c.FSGID,
		Groups: g, Effective: c.Caps, Permitted: c.Caps, Bounding: dac.AllCaps,
	}
}

func checkCase(r *rand.Rand) hostCase {
	c := randCred(r)
	f := randFile(r, pick(r, []uint32{syscall.S_IFREG, syscall.S_IFDIR}))
	mask := uint32(1 + r.IntN(7))
	op := linuxhost.Op{Cred: hostCred(c), Kind: "access", Path: "f", Flags: int(mask)}
	switch {
	case !f.IsDir() && mask == dac.MayRead:
		op.Kind, op.Flags = "open", syscall.O_RDONLY
	case !f.IsDir() && mask == dac.MayWrite:
		op.Kind, op.Flags = "open", syscall.O_WRONLY
	case !f.IsDir() && mask == dac.MayRead|dac.MayWrite:
		op.Kind, op.Flags = "open", syscall.O_RDWR
	case f.IsDir() && mask == dac.MayRead:
		op.Kind, op.Flags = "open", syscall.O_RDONLY|syscall.O_DIRECTORY
	case f.IsDir() && mask == dac.MayExec:
		op.Kind, op.Path = "stat", "f/e"
	case f.IsDir() && mask == dac.MayWrite|dac.MayExec:
		op.Kind, op.Path = "mkdir", "f/new"
	}
	return hostCase{
		desc: fmt.Sprintf("Check(%+v, %s, mask %d) via %s %s", c, fileString(f), mask, op.Kind, op.Path),
		op:   op,
		setup: func(dir string) error {
			p := filepath.Join(dir, "f")
			if err := linuxhost.MakeFile(p, f); err != nil || !f.IsDir() {
				return err
			}
			return os.WriteFile(filepath.Join(p, "e"), nil, 0o644) // for the search
		},
		model:  func() (*dac.File, error) { return nil, dac.Check(&c, f, mask) },
		target: "f",
	}
}

func deleteCase(r *rand.Rand) hostCase {
	c := randCred(r)
	d := randFile(r, syscall.S_IFDIR)
	if r.IntN(2) == 0 {
		d.Mode |= syscall.S_ISVTX
	}
	v := randFile(r, pick(r, []uint32{syscall.S_IFREG, syscall.S_IFDIR}))
	kind := "unlink"
	if v.IsDir() {
		kind = "rmdir"
	}
	return hostCase{
		desc: fmt.Sprintf("CheckDelete(%+v, dir %s, victim %s)", c, fileString(d), fileString(v)),
		op:   linuxhost.Op{Cred: hostCred(c), Kind: kind, Path: "d/v"},
		setup: func(dir string) error {
			p := filepath.Join(dir, "d")
			if err := os.Mkdir(p, 0o700); err != nil {
				return err
			}
			if err := linuxhost.MakeFile(filepath.Join(p, "v"), v); err != nil {
				return err
			}
			return linuxhost.SetOwnerMode(p, d)
		},
		model: func() (*dac.File, error) { return nil, dac.CheckDelete(&c, d, v) },
	}
}

func chmodCase(r *rand.Rand) hostCase {
	c := randCred(r)
	f := randFile(r, pick(r, []uint32{syscall.S_IFREG, syscall.S_IFDIR}))
	mode := uint32(r.IntN(0o10000))
	return hostCase{
		desc:  fmt.Sprintf("CheckChmod(%+v, %s, %#o)", c, fileString(f), mode),
		op:    linuxhost.Op{Cred: hostCred(c), Kind: "chmod", Path: "f", Mode: mode},
		setup: func(dir string) error { return linuxhost.MakeFile(filepath.Join(dir, "f"), f) },
		model: func() (*dac.File, error) {
			m, err := dac.CheckChmod(&c, f, mode)
			return &dac.File{Mode: m, UID: f.UID, GID: f.GID}, err
		},
		target: "f",
	}
}

func chownCase(r *rand.Rand) hostCase {
	c := randCred(r)
	f := randFile(r, pick(r, []uint32{syscall.S_IFREG, syscall.S_IFREG, syscall.S_IFDIR}))
	if r.IntN(2) == 0 { // set-id bits matter most here
		f.Mode |= pick(r, []uint32{syscall.S_ISUID, syscall.S_ISGID, syscall.S_ISGID | 0o010, syscall.S_ISUID | syscall.S_ISGID})
	}
	uid := pick(r, []int64{-1, -1, 0, 1000, 1001, int64(f.UID), int64(c.FSUID)})
	gid := pick(r, []int64{-1, -1, 0, 100, 1000, 1001, 2000, int64(f.GID), int64(c.FSGID)})
	return hostCase{
		desc:  fmt.Sprintf("CheckChown(%+v, %s, %d, %d)", c, fileString(f), uid, gid),
		op:    linuxhost.Op{Cred: hostCred(c), Kind: "chown", Path: "f", UID: uid, GID: gid},
		setup: func(dir string) error { return linuxhost.MakeFile(filepath.Join(dir, "f"), f) },
		model: func() (*dac.File, error) {
			m, err := dac.CheckChown(&c, f, uid, gid)
			after := dac.File{Mode: m, UID: f.UID, GID: f.GID}
			if err == nil && uid != -1 {
				after.UID = uint32(uid)
			}
			if err == nil && gid != -1 {
				after.GID = uint32(gid)
			}
			return &after, err
		},
		target: "f",
	}
}

func utimesCase(r *rand.Rand) hostCase {
	c := randCred(r)
	f := randFile(r, pick(r, []uint32{syscall.S_IFREG, syscall.S_IFDIR}))
	explicit := r.IntN(2) == 0
	return hostCase{
		desc:  fmt.Sprintf("CheckUtimes(%+v, %s, explicit %v)", c, fileString(f), explicit),
		op:    linuxhost.Op{Cred: hostCred(c), Kind: "utimes", Path: "f", Explicit: explicit},
		setup: func(dir string) error { return linuxhost.MakeFile(filepath.Join(dir, "f"), f) },
		model: func() (*dac.File, error) { return nil, dac.CheckUtimes(&c, f, explicit) },
	}
}

// linkCase links a regular file into a world-writable directory, so that
// only may_linkat's rule (fs.protected_hardlinks) decides.
func linkCase(r *rand.Rand) hostCase {
	c := randCred(r)
	f := randFile(r, syscall.S_IFREG)
	return hostCase{
		desc: fmt.Sprintf("CheckLink(%+v, %s)", c, fileString(f)),
		op:   linuxhost.Op{Cred: hostCred(c), Kind: "link", Path: "f", Path2: "t/l"},
		setup: func(dir string) error {
			if err := linuxhost.MakeFile(filepath.Join(dir, "f"), f); err != nil {
				return err
			}
			return linuxhost.MakeFile(filepath.Join(dir, "t"), dac.File{Mode: syscall.S_IFDIR | 0o777})
		},
		model: func() (*dac.File, error) { return nil, dac.CheckLink(&c, f) },
	}
}

// renameCase renames a file or directory within a directory or to
// another, onto a free name or onto an entry of the same type.
func renameCase(r *rand.Rand) hostCase {
	c := randCred(r)
	dirFile := func() dac.File {
		d := randFile(r, syscall.S_IFDIR)
		if r.IntN(3) == 0 {
			d.Mode |= syscall.S_ISVTX
		}
		return d
	}
	typ := pick(r, []uint32{syscall.S_IFREG, syscall.S_IFDIR})
	oldDir, v := dirFile(), randFile(r, typ)
	newDir, sameDir := oldDir, r.IntN(3) == 0
	if !sameDir {
		newDir = dirFile()
	}
	var target *dac.File
	if r.IntN(2) == 0 {
		t := randFile(r, typ)
		target = &t
	}
	to := "d2/t"
	if sameDir {
		to = "d1/t"
	}
	return hostCase{
		desc: fmt.Sprintf("CheckRename(%+v, %s, %s, %s, %v, same %v)", c, fileString(oldDir), fileString(v),
			fileString(newDir), target, sameDir),
		op: linuxhost.Op{Cred: hostCred(c), Kind: "rename", Path: "d1/v", Path2: to},
		setup: func(dir string) error {
			d1, d2 := filepath.Join(dir, "d1"), filepath.Join(dir, "d2")
			for _, d := range []string{d1, d2} {
				if err := os.Mkdir(d, 0o700); err != nil {
					return err
				}
			}
			if err := linuxhost.MakeFile(filepath.Join(d1, "v"), v); err != nil {
				return err
			}
			if target != nil {
				if err := linuxhost.MakeFile(filepath.Join(dir, to), *target); err != nil {
					return err
				}
			}
			if err := linuxhost.SetOwnerMode(d1, oldDir); err != nil {
				return err
			}
			return linuxhost.SetOwnerMode(d2, newDir)
		},
		model: func() (*dac.File, error) {
			// rename(2) walks to both parents first, which needs search
			// permission on each, as vfsd's path walk checks.
			for _, d := range []dac.File{oldDir, newDir} {
				if err := dac.Check(&c, d, dac.MayExec); err != nil {
					return nil, err
				}
			}
			return nil, dac.CheckRename(&c, oldDir, v, newDir, target, sameDir)
		},
	}
}

func fileString(f dac.File) string {
	return fmt.Sprintf("{mode %#o uid %d gid %d}", f.Mode, f.UID, f.GID)
}

// caseMix says how many cases of each kind the host comparison runs.
var caseMix = []struct {
	n    int
	make func(*rand.Rand) hostCase
	link bool // depends on fs.protected_hardlinks = 1
}{
	{1500, checkCase, false},
	{400, deleteCase, false},
	{400, chmodCase, false},
	{600, chownCase, false},
	{300, utimesCase, false},
	{300, linkCase, true},
	{500, renameCase, false},
}

// TestAgainstHost runs every generated case through the model and, with
// the case's credential, through the host kernel, and requires the same
// errno and the same resulting mode and owner.
func TestAgainstHost(t *testing.T) {
	linuxhost.NeedRoot(t, "lib/linux/dac: DAC rules against the host")
	protected, err := os.ReadFile("/proc/sys/fs/protected_hardlinks")
	linkRule := err == nil && string(protected) == "1\n"
	if !linkRule {
		t.Log("CheckLink models fs.protected_hardlinks = 1 and the host has another setting: link cases left out")
	}
	for _, cp := range someCaps {
		if !hostCaps.Has(cp) {
			t.Logf("the host withholds capability %d: no case uses it", cp)
		}
	}
	base := linuxhost.TempDir(t)
	r := rand.New(rand.NewPCG(7, 2026))
	var cases []hostCase
	for _, m := range caseMix {
		if m.link && !linkRule {
			continue
		}
		for range m.n {
			cases = append(cases, m.make(r))
		}
	}
	ops := make([]linuxhost.Op, len(cases))
	for i, tc := range cases {
		dir := filepath.Join(base, fmt.Sprint(i))
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := tc.setup(dir); err != nil {
			t.Fatalf("%s: setup: %v", tc.desc, err)
		}
		ops[i] = tc.op
		ops[i].Path = filepath.Join(dir, tc.op.Path)
		if tc.op.Path2 != "" {
			ops[i].Path2 = filepath.Join(dir, tc.op.Path2)
		}
	}
	res := linuxhost.Run(t, ops)
	bad := 0
	for i, tc := range cases {
		if msg := compare(tc, res[i].Errno, filepath.Join(base, fmt.Sprint(i))); msg != "" {
			if bad++; bad <= 20 {
				t.Errorf("%s: %s", tc.desc, msg)
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d cases differ from the host kernel", bad, len(cases))
	}
	t.Logf("%d DAC cases agree with the host kernel", len(cases))
}

func compare(tc hostCase, hostErr syscall.Errno, dir string) string {
	after, wantErr := tc.model()
	var model syscall.Errno
	if wantErr != nil {
		model = wantErr.(syscall.Errno)
	}
	if model != hostErr {
		return fmt.Sprintf("model %v, host %v", errString(model), errString(hostErr))
	}
	if after == nil {
		return ""
	}
	var st syscall.Stat_t
	if err := syscall.Lstat(filepath.Join(dir, tc.target), &st); err != nil {
		return err.Error()
	}
	got := dac.File{Mode: st.Mode, UID: st.Uid, GID: st.Gid}
	if got != *after {
		return fmt.Sprintf("model leaves %s, host %s", fileString(*after), fileString(got))
	}
	return ""
}

func errString(e syscall.Errno) string {
	if e == 0 {
		return "success"
	}
	return e.Error()
}
