package vfs

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"aramid/lib/linux/dac"
	"aramid/servers/vfsd/devfs"
	"aramid/servers/vfsd/tmpfs"
	"aramid/test/needroot"
)

const chrootEnv = "VFSD_TEST_CHROOT"

// TestMain doubles as the host side of the comparison: started with
// chrootEnv set, the test binary chroots there, runs the script on its
// standard input with real system calls, and prints one result a line.
func TestMain(m *testing.M) {
	if dir := os.Getenv(chrootEnv); dir != "" {
		os.Exit(hostScript(dir))
	}
	os.Exit(m.Run())
}

func hostScript(dir string) int {
	if err := syscall.Chroot(dir); err != nil {
		os.Stdout.WriteString("chroot: " + err.Error() + "\n")
		return 2
	}
	if err := syscall.Chdir("/"); err != nil {
		return 2
	}
	syscall.Umask(022)
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		os.Stdout.WriteString(run(hostRunner{}, sc.Text()) + "\n")
	}
	return 0
}

// onHost runs lines in a fresh chroot and returns the host's results.
func onHost(t *testing.T, lines []string) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), chrootEnv+"="+t.TempDir())
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	out, err := cmd.Output()
	if err != nil {
		if strings.HasPrefix(string(out), "chroot:") {
			if !needroot.Root() {
				needroot.Skip(t, "servers/vfsd/vfs: scripts against the host (chroot)")
			}
			t.Skipf("host comparison needs chroot: %s", out)
		}
		t.Fatalf("host script: %v: %s", err, out)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
}

// rootProc returns a namespace on a fresh tmpfs and a root caller in it.
func rootProc(t testing.TB) (*VFS, *Proc) {
	t.Helper()
	v := New(tmpfs.New(tmpfs.Options{Mode: 0755}), 0, devfs.Standard(os.Stderr, nil))
	return v, &Proc{Cred: &dac.Cred{Caps: dac.AllCaps}, Root: v.Root(), Cwd: v.Root()}
}

// hostScripts are compared line by line with the host kernel. Each
// script starts in an empty root directory.
var hostScripts = map[string][]string{
	"symlinks": {
		"mkdir d", "creat d/f", "symlink f d/rel", "symlink ../d/f d/up", "symlink /d/f abs",
		"symlink d dl", "symlink nowhere dangling", "symlink loop2 loop1", "symlink loop1 loop2",
		"stat d/rel", "stat d/up", "stat abs", "lstat abs", "stat dl/f", "stat dl/rel",
		"stat dangling", "lstat dangling", "stat loop1", "lstat loop1", "stat loop1/x",
		"readlink abs", "readlink d/f", "readlink dl/", "stat abs/", "stat dl/", "lstat dl/",
		"stat /../../d/f", "stat d/../../../d/rel", "chdir dl", "stat rel", "stat ../abs",
		"chdir /", "symlink /../d/./f root", "stat root",
		"symlink d/f/ slashlink", "stat slashlink",
	},
	"maxsymlinks": maxSymlinkScript(),
	"permissions": {
		"mkdir pub", "chmod pub 1777", "mkdir priv", "chmod priv 0700", "creat priv/f",
		"creat pub/rootfile", "chmod pub/rootfile 0666", "mkdir ro", "chmod ro 0555", "creat f",
		"mkdir shared", "chmod shared 0777", "creat shared/x", "mkdir shared/d", "mkdir sg",
		"chown sg 0 50", "chmod sg 2777", "creat sg/sx", "chmod sg/sx 02755", "chown sg/sx 1000 1000",
		"creat suid", "chmod suid 04777",
		"as 1000",
		"stat priv/f", "open priv O_RDONLY", "stat priv", "creat ro/x", "mkdir ro/x", "mkdir ro",
		"open f O_WRONLY", "open f O_RDONLY", "open f O_RDONLY|O_TRUNC", "truncate f 0", "chmod f 0777",
		"unlink pub/rootfile", "open pub/rootfile O_RDWR", "creat pub/mine", "stat pub/mine",
		"unlink pub/mine", "creat pub/mine2", "rename pub/mine2 pub/rootfile", "rename shared/x shared/y",
		"rename shared/d pub/d", "rename shared/d shared/e", "mkdir sg/d", "stat sg/d", "creat sg/g",
		"stat sg/g", "chmod sg/sx 02755", "stat sg/sx", "chown pub/mine2 1000 50", "chown pub/mine2 0 1000",
		"link priv/f pub/l", "rmdir shared/e", "symlink x ro/l", "unlink shared", "chmod pub 0777",
		"truncate suid 1", "stat suid",
	},
	"names": {
		"mkdir d", "creat d/f",
		"creat REP(a,255)", "creat REP(a,256)", "stat REP(a,256)", "stat d/REP(b,256)/x",
		"stat REP(./,2047)d", "stat REP(./,2046)d/f", "stat REP(./,2048)d",
		"mkdir REP(./,2048)x", "stat d/f/", "stat d/f/.", "stat d/f/..", "stat d/f/x",
		"creat d/f/x", "mkdir d/f/x", "stat d//f", "stat ///d///f", "stat d/./f", "stat ''",
	},
	"trailing": {
		"mkdir d", "creat f", "mkdir e/", "stat e", "rmdir e/", "rmdir e//",
		"open g/ O_CREAT|O_WRONLY", "open f/ O_RDONLY", "unlink f/", "rename f g/",
		"rename f/ g", "mkdir e", "rename e/ e2/", "stat e2", "symlink d dl", "rmdir dl/",
		"unlink dl/", "unlink dl", "creat d/x", "symlink f/ fs", "lstat fs", "link f h/",
		"mkfifo p/", "symlink d sl/", "mkfifo f/", "mkfifo d/", "symlink x f/", "link f d/",
	},
	"open": {
		"mkdir d", "creat f", "symlink f fl", "symlink nothere dang", "symlink d dl",
		"open d O_WRONLY", "open d O_RDWR", "open d O_RDONLY", "open d O_RDONLY|O_CREAT",
		"open d O_RDONLY|O_CREAT|O_EXCL", "open f O_CREAT|O_EXCL|O_WRONLY",
		"open fl O_CREAT|O_EXCL|O_WRONLY", "open fl O_NOFOLLOW", "open fl O_NOFOLLOW|O_PATH",
		"open f O_DIRECTORY", "open dl O_DIRECTORY", "open dl O_DIRECTORY|O_NOFOLLOW",
		"open fl O_DIRECTORY", "open dang O_RDONLY", "open dang O_CREAT|O_WRONLY", "lstat nothere",
		"stat nothere", "open . O_CREAT|O_RDONLY", "open / O_CREAT|O_RDONLY", "open .. O_CREAT|O_RDONLY",
		"open d/missing/x O_CREAT|O_WRONLY", "open d O_PATH|O_DIRECTORY", "open f O_PATH|O_DIRECTORY",
		"truncate d 0", "truncate f 10", "stat f", "truncate fl 3", "stat f",
		"open dang O_CREAT|O_NOFOLLOW|O_WRONLY", "open dl/ O_RDONLY", "open fl/ O_RDONLY",
		"open d/. O_CREAT|O_RDONLY", "open d/.. O_RDONLY", "open fl O_RDONLY|O_TRUNC", "stat f",
		"open dl O_PATH|O_NOFOLLOW", "open dl/ O_PATH|O_NOFOLLOW", "open nothere2 O_CREAT|O_EXCL|O_RDONLY",
		"stat nothere2",
	},
	"remove": {
		"mkdir d", "mkdir d/sub", "creat d/f", "creat f",
		"rmdir .", "rmdir ..", "rmdir /", "rmdir d/.", "rmdir d/..", "unlink .", "unlink ..", "unlink /",
		"unlink d", "rmdir f", "rmdir d", "unlink d/f", "rmdir d/sub", "rmdir d", "stat d",
		"mkdir ..", "mkdir .", "mkdir /", "mkdir f", "symlink x f", "symlink x .",
		"link f .", "link f g", "stat g", "mkdir e", "link e e2", "unlink missing", "rmdir missing",
	},
	"rename": {
		"mkdir a", "mkdir a/b", "mkdir c", "creat c/f", "creat f", "creat g", "mkdir empty",
		"rename a a/b/x", "rename a a/b", "rename a a", "rename f a", "rename a f", "rename a c",
		"rename a empty", "stat empty/b", "stat a", "rename f g", "stat f", "rename . x",
		"rename x ..", "rename g g", "link g h", "rename g h", "stat g", "rename missing x",
		"rename empty/b /", "rename empty/b/.. x", "stat empty",
	},
}

func maxSymlinkScript() []string {
	s := []string{"creat f", "symlink f l0"}
	for i := 1; i <= 41; i++ {
		s = append(s, "symlink l"+strconv.Itoa(i-1)+" l"+strconv.Itoa(i))
	}
	return append(s, "stat l39", "stat l40", "stat l41", "lstat l41", "open l40 O_RDONLY",
		"symlink l39/ dir39", "mkdir d", "symlink d m0", "stat m0/../l38", "stat m0/../l39")
}

func TestScriptsAgainstHost(t *testing.T) {
	for name, lines := range hostScripts {
		t.Run(name, func(t *testing.T) {
			want := onHost(t, lines)
			v, p := rootProc(t)
			r := &vfsRunner{v, p}
			for i, l := range lines {
				if strings.HasPrefix(l, "as ") && at(want, i) != "ok" {
					if !needroot.Root() {
						needroot.Skip(t, "servers/vfsd/vfs: scripts that change user against the host")
					}
					t.Skipf("the host cannot change user: %s", at(want, i))
				}
				got := run(r, l)
				if i >= len(want) || got != want[i] {
					t.Errorf("%q: vfs %q, linux %q", l, got, at(want, i))
				}
			}
		})
	}
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "(missing)"
}
