package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"aramid/test/qemu"
)

// The shell workloads boot each side to a busybox shell on the
// benchmark's root disk, with the network card up, as make qemu does:
// Aramid runs the Linux system with linuxd running /bin/sh as init's main
// task; Linux loads the device modules, mounts the disk, brings up the
// card and chroots into the disk to run its /bin/sh. The host measures
// boot-shell, the time from QEMU's start until the shell has run a first
// command, and on Aramid idle-memory, the kernel monitor's memory in use
// (Ctrl-] mem) a little after that.
const (
	bootShell  = "boot-shell"
	idleMemory = "idle-memory"

	// shellReady is what the first command prints; the command typed is
	// printf 'shell-%s\n' ready, so the shell's echo of it never matches.
	shellReady = "shell-ready"
	// idleSettle is how long the system is left alone after the shell's
	// first command before its memory is read: long enough for the
	// servers' start-up garbage to be collected and returned.
	idleSettle = 3 * time.Second
	// monitorMem is the kernel monitor's mem and ps, each typed after
	// Ctrl-], the monitor escape of a raw console.
	monitorMem = "\x1dmem\r\x1dps\r"
	// memMarker starts the figure in the monitor's mem line:
	// "RAM 511 MiB, free 365 MiB; in use 149700 KiB; ...".
	memMarker = "in use "
)

// shellStarted is the console line each side prints just before its
// shell starts, after which the host types the first command.
var shellStarted = map[bool]string{true: "linuxd: started", false: runMarker + shellCmd}

// shellCmd is the reference's command for the shell workloads.
const shellCmd = "chroot " + diskMount + " /bin/sh"

// shellBoots boots Linux, then Aramid, to a shell once each, and adds the
// figures the host measured to linux and aramid.
func (c config) shellBoots(i int, tag, kernel, initrd string, ws []Workload, linux, aramid map[string]Results) error {
	devs := strings.Fields(c.devices)
	res := Results{}
	out, err := boot(tag+" Linux shell", kernel, linuxAppend, c.timeout, 0, c.shellHost(false, res), append([]string{"-initrd", initrd}, devs...)...)
	saveConsole(c.work, fmt.Sprintf("linux-shell-%d", i), out)
	if err != nil {
		return err
	}
	add(linux, c.linuxCmd(ws[0]), res)
	res = Results{}
	cmdline, _ := c.aramid(ws[0], c.system)
	out, err = boot(tag+" Aramid shell", c.kernel, cmdline, c.timeout, qemu.StatusSuccess, c.shellHost(true, res), append([]string{"-initrd", c.bundleFor(cmdline)}, devs...)...)
	saveConsole(c.work, fmt.Sprintf("aramid-shell-%d", i), out)
	if err != nil {
		fmt.Printf("bench: %v\n", err)
	}
	add(aramid, cmdline, res)
	return nil
}

// shellHost is the host side of a shell boot: it waits for the line
// before the shell, types the first command and records when its output
// appears; on Aramid it then leaves the system idle, reads the memory in
// use from the kernel monitor, and ends the shell.
func (c config) shellHost(isAramid bool, res Results) func(*qemu.VM) error {
	return func(vm *qemu.VM) error {
		if _, _, err := vm.WaitFor(shellStarted[isAramid], c.timeout); err != nil {
			return err
		}
		if err := vm.Type("printf 'shell-%s\\n' ready\n"); err != nil {
			return err
		}
		_, at, err := vm.WaitFor(shellReady, c.timeout)
		if err != nil {
			return err
		}
		res[bootShell] = []Result{{Name: bootShell, NS: float64(at.Nanoseconds()), N: 1}}
		if isAramid {
			time.Sleep(idleSettle)
			if err := vm.Type(monitorMem); err != nil {
				return err
			}
			line, _, err := vm.WaitFor(memMarker, time.Minute)
			if err != nil {
				return err
			}
			kib, err := memInUse(line)
			if err != nil {
				return err
			}
			res[idleMemory] = []Result{{Name: idleMemory, NS: float64(kib << 10), N: 1}}
		}
		return vm.Type("exit\n")
	}
}

// memInUse reads the KiB in use from the kernel monitor's mem line.
func memInUse(line string) (int64, error) {
	_, rest, ok := strings.Cut(line, memMarker)
	f := strings.Fields(rest)
	if !ok || len(f) < 2 || f[1] != "KiB;" {
		return 0, fmt.Errorf("no memory figure in %q", line)
	}
	return strconv.ParseInt(f[0], 10, 64)
}
