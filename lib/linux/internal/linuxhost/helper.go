package linuxhost

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"unsafe"

	"aramid/lib/linux/cred"
	"aramid/lib/linux/dac"
	"aramid/test/needroot"
)

// helperEnv selects a helper mode when the test binary is re-executed.
const helperEnv = "AUTHD_HOST_HELPER"

// Op is one operation to run on the host with a credential. Kind names a
// system call: "open" (Flags), "access" (faccessat2 with AT_EACCESS, Flags
// is the mode), "access-real" (the same without AT_EACCESS), "stat", "mkdir", "unlink", "rmdir", "chmod" (Mode),
// "chown" (UID, GID, -1 for unchanged), "utimes" (Explicit), "link" and
// "rename" (Path to Path2), "status" (read /proc/thread-self/status into
// Result.Output), or "steps".
type Op struct {
	Cred     *cred.Cred
	Kind     string
	Path     string
	Path2    string
	Flags    int
	Mode     uint32
	UID, GID int64
	Explicit bool
	Steps    []Step
}

// Step is one credential system call: Call is the syscall's name
// ("setuid", ..., "setgroups", "capset", "prctl"), Args its id arguments,
// Groups the setgroups list, Wide the arguments of capset (effective,
// permitted, inheritable) and prctl (option, arg2 ... arg5).
type Step struct {
	Call   string
	Args   []uint32
	Groups []uint32
	Wide   []uint64
}

// Result is what an Op did: the errno of the operation (0 for success)
// or, for "steps", of each step with the value it returned and the
// thread's credential after it.
type Result struct {
	Setup  syscall.Errno // taking on the credential failed
	Errno  syscall.Errno
	Steps  []StepResult
	Output []byte
}

// StepResult is the outcome of one Step.
type StepResult struct {
	Errno syscall.Errno
	Ret   uint64
	Cred  *cred.Cred
}

// Main is the TestMain of a package that uses this one: in a re-executed
// helper it serves the helper mode and exits, otherwise it runs the tests.
func Main(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "ops":
		var ops []Op
		must(json.NewDecoder(os.Stdin).Decode(&ops))
		res := make([]Result, len(ops))
		for i := range ops {
			res[i] = onThread(func() Result { return run(&ops[i]) })
		}
		must(json.NewEncoder(os.Stdout).Encode(res))
	case "exec":
		var op Op
		must(json.NewDecoder(os.Stdin).Decode(&op))
		e := onThread(func() syscall.Errno { return execAs(&op) })
		must(json.NewEncoder(os.Stdout).Encode(ExecResult{Errno: e}))
	case "report":
		must(json.NewEncoder(os.Stdout).Encode(ExecResult{Cred: current()}))
	default:
		must(fmt.Errorf("unknown %s mode %q", helperEnv, os.Getenv(helperEnv)))
	}
	os.Exit(0)
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "linuxhost helper:", err)
		os.Exit(2)
	}
}

// NeedRoot skips t unless it runs as root, which the host comparison
// what needs to take on arbitrary credentials (setresuid to each case's
// ids).
func NeedRoot(t testing.TB, what string) {
	t.Helper()
	needroot.Require(t, what)
}

// Run runs ops in a helper process and returns their results in order.
func Run(t testing.TB, ops []Op) []Result {
	t.Helper()
	var res []Result
	helper(t, "ops", ops, &res)
	if len(res) != len(ops) {
		t.Fatalf("helper returned %d results for %d ops", len(res), len(ops))
	}
	for i, r := range res {
		if r.Setup != 0 {
			t.Fatalf("host helper could not take on credential %+v: %v", *ops[i].Cred, r.Setup)
		}
	}
	return res
}

func helper(t testing.TB, mode string, in, out any) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	req, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	cmd.Stdin = bytes.NewReader(req)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	resp, err := cmd.Output()
	if err != nil {
		t.Fatalf("host helper %s: %v\n%s", mode, err, stderr.Bytes())
	}
	if err := json.Unmarshal(resp, out); err != nil {
		t.Fatalf("host helper %s: %v in %q", mode, err, resp)
	}
}

// run performs op on the calling (locked, root) thread.
func run(op *Op) Result {
	if e := become(op.Cred); e != 0 {
		return Result{Setup: e}
	}
	switch op.Kind {
	case "steps":
		return Result{Steps: runSteps(op.Steps)}
	case "status":
		b, err := os.ReadFile("/proc/thread-self/status")
		if err != nil {
			e := syscall.EIO
			errors.As(err, &e)
			return Result{Errno: e}
		}
		return Result{Output: b}
	}
	return Result{Errno: fileOp(op)}
}

const (
	sysFaccessat2 = 439
	atEaccess     = 0x200
	atFdcwd       = -100
)

func fileOp(op *Op) syscall.Errno {
	var err error
	switch op.Kind {
	case "open":
		var fd int
		if fd, err = syscall.Open(op.Path, op.Flags|syscall.O_CLOEXEC, 0); err == nil {
			syscall.Close(fd)
		}
	case "access":
		err = at(sysFaccessat2, op.Path, uintptr(op.Flags), atEaccess)
	case "access-real":
		err = at(sysFaccessat2, op.Path, uintptr(op.Flags), 0)
	case "stat":
		var st syscall.Stat_t
		err = syscall.Lstat(op.Path, &st)
	case "mkdir":
		err = syscall.Mkdir(op.Path, 0o755)
	case "unlink":
		err = syscall.Unlink(op.Path)
	case "rmdir":
		err = syscall.Rmdir(op.Path)
	case "chmod":
		err = syscall.Chmod(op.Path, op.Mode)
	case "chown":
		err = syscall.Lchown(op.Path, int(op.UID), int(op.GID))
	case "link":
		err = syscall.Link(op.Path, op.Path2)
	case "rename":
		err = syscall.Rename(op.Path, op.Path2)
	case "utimes":
		var times uintptr
		if op.Explicit {
			ts := [2]syscall.Timespec{{Sec: 1}, {Sec: 2}}
			times = uintptr(unsafe.Pointer(&ts[0]))
		}
		err = at(syscall.SYS_UTIMENSAT, op.Path, times, 0)
	default:
		return syscall.ENOSYS
	}
	if err == nil {
		return 0
	}
	return err.(syscall.Errno)
}

// at calls an *at system call on path relative to the cwd.
func at(trap uintptr, path string, a, b uintptr) error {
	p, err := syscall.BytePtrFromString(path)
	if err != nil {
		return err
	}
	fd := atFdcwd
	_, _, e := syscall.Syscall6(trap, uintptr(fd), uintptr(unsafe.Pointer(p)), a, b, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

var stepCalls = map[string]uintptr{
	"setuid": syscall.SYS_SETUID, "setreuid": syscall.SYS_SETREUID,
	"setresuid": syscall.SYS_SETRESUID, "setfsuid": syscall.SYS_SETFSUID,
	"setgid": syscall.SYS_SETGID, "setregid": syscall.SYS_SETREGID,
	"setresgid": syscall.SYS_SETRESGID, "setfsgid": syscall.SYS_SETFSGID,
}

// runSteps makes each step's system call on the calling thread and reads
// back the credential after it.
func runSteps(steps []Step) []StepResult {
	out := make([]StepResult, len(steps))
	for i, s := range steps {
		var r uintptr
		var e syscall.Errno
		w := append(s.Wide, make([]uint64, 5)...)
		if s.Call == "setgroups" {
			e = setgroups(s.Groups)
		} else if s.Call == "capset" {
			e = capset(dac.CapSet(w[0]), dac.CapSet(w[1]), dac.CapSet(w[2]))
		} else if s.Call == "prctl" {
			r, e = prctl(uintptr(w[0]), uintptr(w[1]), uintptr(w[2]), uintptr(w[3]), uintptr(w[4]))
		} else if trap, ok := stepCalls[s.Call]; ok {
			args := make([]uintptr, len(s.Args))
			for j, a := range s.Args {
				args[j] = uintptr(a)
			}
			r, e = raw(trap, args...)
		} else {
			e = syscall.ENOSYS
		}
		if e != 0 {
			r = 0
		}
		out[i] = StepResult{Errno: e, Ret: uint64(r), Cred: current()}
	}
	return out
}

// ExecResult is what the exec helper reports: the errno of a failed
// execve, or the credential the executed program found itself with.
type ExecResult struct {
	Errno syscall.Errno
	Cred  *cred.Cred
}

// Exec runs path, a copy of the test binary, with credential c on the
// host and returns the credential the new program has, or execve's error.
func Exec(t testing.TB, c *cred.Cred, path string) ExecResult {
	t.Helper()
	var res ExecResult
	helper(t, "exec", Op{Cred: c, Path: path}, &res)
	return res
}

// execAs gives the thread credential op.Cred and executes op.Path in
// report mode; it returns only if execve fails.
func execAs(op *Op) syscall.Errno {
	if e := become(op.Cred); e != 0 {
		return e
	}
	argv, err := syscall.SlicePtrFromStrings([]string{op.Path})
	if err != nil {
		return syscall.EINVAL
	}
	envv, err := syscall.SlicePtrFromStrings([]string{helperEnv + "=report"})
	if err != nil {
		return syscall.EINVAL
	}
	path, err := syscall.BytePtrFromString(op.Path)
	if err != nil {
		return syscall.EINVAL
	}
	_, e := raw(syscall.SYS_EXECVE, uintptr(unsafe.Pointer(path)),
		uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])))
	return e
}

// Available returns the capabilities the host lets this process hold: a
// container may withhold some even from root, and those cannot be
// compared.
func Available() dac.CapSet {
	_, perm, _ := capget()
	return perm
}
