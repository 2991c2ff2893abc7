package cred_test

import (
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"

	"aramid/lib/linux/cred"
	"aramid/lib/linux/dac"
	"aramid/lib/linux/internal/linuxhost"
)

// copySelf copies the running test binary to dst, as the program the exec
// cases run: in report mode it prints its own credential.
func copySelf(t *testing.T, dst string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestExecAgainstHost executes a copy of the test binary, with generated
// owners and set-id bits, from generated credentials on the host, and
// compares the credential the new program reports with the model's Exec.
func TestExecAgainstHost(t *testing.T) {
	linuxhost.NeedRoot(t, "lib/linux/cred: execve against the host")
	dir := linuxhost.TempDir(t)
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		t.Fatal(err)
	}
	if fs.Flags&0x2 != 0 { // ST_NOSUID
		t.Skipf("%s is mounted nosuid: set-id exec cannot be compared", dir)
	}
	prog := filepath.Join(dir, "prog")
	copySelf(t, prog)
	modes := []uint32{0o755, 0o4755, 0o2755, 0o2745, 0o6755, 0o6745, 0o4711, 0o6711}
	r := rand.New(rand.NewPCG(13, 2026))
	avail := linuxhost.Available()
	n := 100
	if testing.Short() {
		n = 25
	}
	bad, denied, newRule, oldRule := 0, 0, 0, 0
	for range n {
		c := randCred(r)
		f := dac.File{Mode: syscall.S_IFREG | pick(r, modes), UID: pick(r, idPool), GID: pick(r, idPool)}
		if err := linuxhost.SetOwnerMode(prog, f); err != nil {
			t.Fatal(err)
		}
		res := linuxhost.Exec(t, c, prog)
		c = normalize(c, avail) // what the helper could take on
		if err := dac.Check(c.DAC(), f, dac.MayExec); err != res.Errno && (err != nil || res.Errno != 0) {
			if bad++; bad <= 10 {
				t.Errorf("exec as %+v of mode %#o owner %d:%d: model %v, host %v",
					*c, f.Mode, f.UID, f.GID, err, errName(res.Errno))
			}
			continue
		}
		if res.Errno != 0 {
			denied++
			continue
		}
		ef := cred.ExecFile{Mode: f.Mode, UID: f.UID, GID: f.GID}
		want := normalize(c.Exec(ef), avail)
		got := normalize(res.Cred, avail)
		if old := normalize(olderKernelExec(c, ef), avail); !reflect.DeepEqual(want, old) {
			switch {
			case reflect.DeepEqual(got, want):
				newRule++
			case reflect.DeepEqual(got, old):
				oldRule++
				continue
			}
		}
		if !reflect.DeepEqual(want, got) {
			if bad++; bad <= 10 {
				t.Errorf("exec as %+v of mode %#o owner %d:%d:\n  model %+v\n  host  %+v",
					*c, f.Mode, f.UID, f.GID, *want, *got)
			}
		}
	}
	if oldRule > 0 && newRule > 0 {
		t.Errorf("the host follows both ambient-set rules: %d cases the old, %d the new", oldRule, newRule)
	}
	if bad > 0 {
		t.Fatalf("%d of %d execs differ from the host kernel", bad, n)
	}
	if oldRule > 0 {
		t.Logf("the host kernel predates the current ambient-set rule at exec: %d cases agree only with the old rule and were not counted", oldRule)
	}
	t.Logf("%d set-id and plain execs agree with the host kernel (%d of them refused by DAC)", n-oldRule, denied)
}

// olderKernelExec is what Exec would return under older kernels' rule,
// which cleared the ambient set whenever the new effective uid or gid
// differed from the real one, so that the test can tell an older host
// kernel from a wrong model.
func olderKernelExec(c *cred.Cred, f cred.ExecFile) *cred.Cred {
	n := c.Exec(f)
	oldSetid := n.EUID != c.RUID || n.EGID != c.RGID
	newSetid := n.EUID != c.EUID || !c.DAC().InGroup(n.EGID)
	switch {
	case oldSetid && !newSetid:
		c0 := *c
		c0.Ambient = 0
		return c0.Exec(f)
	case newSetid && !oldSetid:
		n.Ambient = c.Ambient
		n.Permitted |= c.Ambient
		n.Effective = c.Ambient
		if n.EUID == 0 && c.Securebits&cred.SecureNoroot == 0 {
			n.Effective = n.Permitted
		}
	}
	return n
}

// TestAccessAgainstHost compares access(2) semantics (faccessat2 without
// AT_EACCESS: real ids, capabilities by the real uid) with AccessDAC.
func TestAccessAgainstHost(t *testing.T) {
	linuxhost.NeedRoot(t, "lib/linux/cred: access against the host")
	dir := linuxhost.TempDir(t)
	r := rand.New(rand.NewPCG(17, 2026))
	type tc struct {
		c    *cred.Cred
		f    dac.File
		mask uint32
	}
	cases := make([]tc, 600)
	ops := make([]linuxhost.Op, len(cases))
	for i := range cases {
		c := randCred(r)
		f := dac.File{Mode: pick(r, []uint32{syscall.S_IFREG, syscall.S_IFDIR}) | uint32(r.IntN(0o1000)),
			UID: pick(r, idPool), GID: pick(r, []uint32{0, 100, 1000, 1001, 1002})}
		cases[i] = tc{c, f, uint32(1 + r.IntN(7))}
		p := filepath.Join(dir, "f"+string(rune('a'+i%26))+string(rune('0'+i/26%10))+string(rune('a'+i/260)))
		if err := linuxhost.MakeFile(p, f); err != nil {
			t.Fatal(err)
		}
		ops[i] = linuxhost.Op{Cred: c, Kind: "access-real", Path: p, Flags: int(cases[i].mask)}
	}
	res := linuxhost.Run(t, ops)
	avail := linuxhost.Available()
	bad := 0
	for i, k := range cases {
		var want syscall.Errno
		if err := dac.Check(normalize(k.c, avail).AccessDAC(), k.f, k.mask); err != nil {
			want = err.(syscall.Errno)
		}
		if res[i].Errno != want {
			if bad++; bad <= 10 {
				t.Errorf("access(%#o %d:%d, %d) as %+v: model %v, host %v",
					k.f.Mode, k.f.UID, k.f.GID, k.mask, *k.c, errName(want), errName(res[i].Errno))
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d access checks differ from the host kernel", bad, len(cases))
	}
	t.Logf("%d access(2) checks agree with the host kernel", len(cases))
}
