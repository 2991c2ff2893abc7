// Package restart_test kills Aramid's servers under a running Linux
// system and checks what docs/user-space.md says survives (make
// test-restart): netd killed while the host loads a web server, whose
// listening socket linuxd makes again on the restarted netd so that new
// connections succeed; authd killed and answering correctly again; vfsd
// killed, with open files failing with EIO and the working directory
// opened again by its path. The kills go through the kernel monitor's
// kill, typed after Ctrl-] on the console.
package restart_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"aramid/test/packages"
	"aramid/test/qemu"
)

func TestRestart(t *testing.T) {
	kernel, bundle, boot, image := os.Getenv("ARAMID_KERNEL"), os.Getenv("ARAMID_BUNDLE"), os.Getenv("ARAMID_APPEND"), os.Getenv("ARAMID_IMAGE")
	if kernel == "" || bundle == "" || boot == "" || image == "" {
		t.Skip("ARAMID_KERNEL, ARAMID_BUNDLE, ARAMID_APPEND and ARAMID_IMAGE not set; run make test-restart")
	}
	img := filepath.Join(t.TempDir(), "root.ext4")
	if out, err := exec.Command("cp", image, img).CombinedOutput(); err != nil {
		t.Fatalf("copying the image: %v\n%s", err, out)
	}
	port, err := qemu.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	vm, err := qemu.Start(kernel, boot+" authwatch linuxd,/bin/sh!!", "-initrd", bundle,
		"-drive", "file="+img+",if=none,id=root,format=raw", "-device", "virtio-blk-pci,drive=root,disable-legacy=on",
		"-netdev", fmt.Sprintf("user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:%d-:80", port),
		"-device", "virtio-net-pci,netdev=n0,disable-legacy=on")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		vm.Kill()
		t.Logf("console:\n%s", vm.Output())
	}()
	if _, _, err := vm.WaitFor("built-in shell (ash)", 3*time.Minute); err != nil {
		t.Fatal(err)
	}
	t.Run("netd", func(t *testing.T) { netd(t, vm, fmt.Sprintf("http://127.0.0.1:%d/passwd", port)) })
	t.Run("authd", func(t *testing.T) { authd(t, vm) })
	t.Run("vfsd", func(t *testing.T) { vfsd(t, vm) })
	t.Run("procd", func(t *testing.T) { procd(t, vm) })
	if strings.Contains(vm.Output(), "authwatch: FAIL") {
		t.Error("authwatch saw a wrong answer from authd")
	}
	if err := vm.Type("poweroff\r"); err != nil {
		t.Fatal(err)
	}
	if status, err := vm.Wait(time.Minute); err != nil || status != qemu.StatusSuccess {
		t.Errorf("after poweroff: QEMU status %d, %v; want %d", status, err, qemu.StatusSuccess)
	}
}

// kill ends server name through the kernel monitor and returns when the
// kernel has said so, as the time since QEMU started.
func kill(t *testing.T, vm *qemu.VM, name string) time.Duration {
	t.Helper()
	at, err := vm.KillServer(name, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// run types cmd at the shell and wants status 0.
func run(t *testing.T, vm *qemu.VM, cmd string) string {
	t.Helper()
	out, status, err := vm.Run(cmd, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if status != 0 {
		t.Fatalf("%s: exit status %d:\n%s", cmd, status, out)
	}
	return out
}

// load fetches url from four clients until stop is closed, counting the
// requests answered and failed.
func load(url string, stop <-chan struct{}, ok, failed *atomic.Int64) *sync.WaitGroup {
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if qemu.GetOK(url, 3*time.Second) {
					ok.Add(1)
				} else {
					failed.Add(1)
					time.Sleep(10 * time.Millisecond)
				}
			}
		}()
	}
	return &wg
}

// netd: busybox's httpd serves the host under load; netd is killed; new
// connections must succeed within qemu.RecoveryLimit of the kill, and the load
// goes on.
func netd(t *testing.T, vm *qemu.VM, url string) {
	run(t, vm, "httpd -p 80 -h /etc")
	deadline := time.Now().Add(2 * time.Minute)
	for !qemu.GetOK(url, 10*time.Second) {
		if time.Now().After(deadline) {
			t.Fatalf("httpd not answering %s within 2 minutes", url)
		}
		time.Sleep(time.Second)
	}
	if _, _, err := vm.WaitFor("init: a spare of netd is ready", time.Minute); err != nil {
		t.Fatal(err)
	}
	var ok, failed atomic.Int64
	stop := make(chan struct{})
	wg := load(url, stop, &ok, &failed)
	defer func() { close(stop); wg.Wait() }()
	time.Sleep(3 * time.Second)
	before, failedBefore := ok.Load(), failed.Load()
	if before == 0 {
		t.Fatalf("no request answered under load before the kill (%d failed)", failedBefore)
	}

	at0 := kill(t, vm, "netd")
	killed := time.Now()
	recovered, err := qemu.FirstAnswer(url, killed, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// The load's requests under way at the kill time out first.
	time.Sleep(3 * time.Second)
	atRecovery := ok.Load()
	time.Sleep(3 * time.Second)
	after := ok.Load() - atRecovery
	t.Logf("netd killed under load: first new connection answered %s; "+
		"requests answered: %d in 3 s before the kill, %d in 3 s from 3 s after the first answer; %d failed or timed out around the kill",
		qemu.Recovery(recovered), before, after, failed.Load()-failedBefore)
	if recovered > qemu.RecoveryLimit {
		t.Errorf("new connections answered %v after netd's death, more than %v", recovered.Round(time.Millisecond), qemu.RecoveryLimit)
	}
	if after == 0 {
		t.Error("no request answered under load after the restart")
	}
	// The restarted netd's socket table, through procd, shows the
	// listener linuxd made again.
	(&packages.Guest{VM: vm}).Listening(t, 80)
	// When each step of the restart appeared on the console, from the
	// kill on.
	for _, line := range []string{"init: restarting netd (1 of 3) from its spare", "netd: virtio-net", "init: netd registered", "linuxd: netd restarted"} {
		if _, at, err := vm.WaitSince(at0, line, 10*time.Second); err != nil {
			t.Error(err)
		} else {
			t.Logf("%-24s %v after the kill", line, (at - at0).Round(time.Millisecond))
		}
	}
}

// authd: authwatch asks authd's checker every 200 ms; after the kill the
// restarted authd must answer it, and correctly (authwatch prints FAIL
// otherwise).
func authd(t *testing.T, vm *qemu.VM) {
	if _, _, err := vm.WaitFor("authwatch: authd 0 answers", time.Minute); err != nil {
		t.Fatal(err)
	}
	at0 := kill(t, vm, "authd")
	_, at, err := vm.WaitFor("authwatch: authd 1 answers", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("authd killed: the restarted authd answered authwatch correctly %v later", (at - at0).Round(time.Millisecond))
}

// procd: after procd's restart, /proc shows processes and sockets again:
// linuxd and netd offer their sources to the successor, and vfsd's /proc
// follows it (the first read after the death may fail with EIO).
func procd(t *testing.T, vm *qemu.VM) {
	checks := []string{
		"grep -q '^Name:' /proc/self/status",
		"ps | grep -q '[h]ttpd'",
		"cat /proc/net/tcp /proc/net/tcp6 | grep -q ':0050 '", // httpd listens on IPv6's any address
	}
	for _, c := range checks {
		run(t, vm, c)
	}
	kill(t, vm, "procd")
	start := time.Now()
	for _, who := range []string{"linuxd", "netd"} {
		if _, _, err := vm.WaitFor(who+": procd is gone", time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range checks {
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Second) {
			out, status, err := vm.Run(c, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if status == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: exit status %d a minute after procd's restart:\n%s", c, status, out)
			}
		}
	}
	t.Logf("procd killed: /proc showed processes and sockets again %v later", time.Since(start).Round(time.Millisecond))
}

// vfsd: a file the shell holds open fails with EIO once vfsd has been
// replaced, and closes cleanly; the working directory is opened again by
// its path, or is ESTALE where the path is gone (a tmpfs); new opens and
// exec work.
func vfsd(t *testing.T, vm *qemu.VM) {
	run(t, vm, "cd /etc && exec 3</etc/passwd && head -c 5 <&3")
	// A subshell whose cwd is on /tmp, a tmpfs that dies with vfsd.
	run(t, vm, "mkdir /tmp/gone && (cd /tmp/gone && echo in-$((1+1)) && sleep 3 && ls; echo gone-$?) & true")
	if _, _, err := vm.WaitFor("in-2", time.Minute); err != nil {
		t.Fatal(err)
	}
	at0 := kill(t, vm, "vfsd")
	start := time.Now()
	out, status, err := vm.Run("cat <&3", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if status == 0 || !strings.Contains(out, "Input/output error") {
		t.Errorf("reading a file opened on the dead vfsd: status %d, %q; want EIO (I/O error)", status, out)
	}
	t.Logf("vfsd killed: a read of a file open on it failed after %v: %q", time.Since(start).Round(time.Millisecond), out)
	run(t, vm, "exec 3<&-")
	if out := run(t, vm, "cat hostname; pwd"); !strings.Contains(out, "aramid") || !strings.Contains(out, "/etc") {
		t.Errorf("the working directory after vfsd's restart: %q; want /etc/hostname's aramid and pwd /etc", out)
	}
	if out := run(t, vm, "echo data > /tmp/after && cat /tmp/after"); !strings.Contains(out, "data") {
		t.Errorf("a file made after vfsd's restart: %q", out)
	}
	run(t, vm, "[ -r /proc/self/stat ]") // the successor forwards /proc to procd again
	if _, _, err := vm.WaitSince(at0, "gone-1", time.Minute); err != nil {
		t.Error("ls in a cwd that died with vfsd's tmpfs:", err)
	} else if !strings.Contains(vm.Output(), "Stale file handle") {
		t.Error("ls in a cwd that died with vfsd's tmpfs did not fail with ESTALE")
	}
}
