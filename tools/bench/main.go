// Command bench compares Aramid with Linux: it boots both in the same QEMU
// with the same machine flags (test/qemu's Flags), runs the matching
// workload in each, and prints ns per operation for both and the ratio
// Aramid/Linux. An absolute time under TCG says little about the kernel;
// the ratio against Linux on the same emulated machine, in the same run,
// is the figure to track. See docs/bench.md.
//
// Usage (make bench passes the paths):
//
//	bench -kernel build/kernel.elf -bundle build/bundle.cpio -prog build/bench/linuxbench
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"aramid/test/qemu"
)

type config struct {
	kernel, bundle, prog, busybox, linux, vmlinuz, work string
	n, runs, boots                                      int
	timeout                                             time.Duration
}

func main() {
	var c config
	var list string
	flag.StringVar(&c.kernel, "kernel", "build/kernel.elf", "Aramid kernel image")
	flag.StringVar(&c.bundle, "bundle", "build/bundle.cpio", "Aramid boot bundle (-initrd); empty for none")
	flag.StringVar(&c.prog, "prog", "build/bench/linuxbench", "linuxbench, built with musl-gcc -static")
	flag.StringVar(&c.busybox, "busybox", "/bin/busybox", "static busybox for the Linux initramfs")
	flag.StringVar(&c.linux, "linux", "build/linux-ref", "Debian kernel package unpacked by make linux-ref")
	flag.StringVar(&c.vmlinuz, "vmlinuz", "", "Linux bzImage (default: the newest boot/vmlinuz-* under -linux)")
	flag.StringVar(&c.work, "work", "build/bench", "directory for the vmlinux and the initramfs")
	flag.IntVar(&c.n, "n", 20000, "operations per Linux run")
	flag.IntVar(&c.runs, "runs", 5, "Linux runs per boot")
	flag.IntVar(&c.boots, "boots", 3, "boots of each system; the sides alternate")
	flag.DurationVar(&c.timeout, "timeout", 10*time.Minute, "limit for each boot")
	flag.StringVar(&list, "w", "all", "workloads, comma-separated: all or "+keys())
	flag.Parse()
	ws, err := selectWorkloads(list)
	if err == nil {
		err = run(c, ws)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(c config, ws []Workload) error {
	if c.n <= 0 || c.runs <= 0 || c.boots <= 0 {
		return fmt.Errorf("-n, -runs and -boots must be positive")
	}
	if err := os.MkdirAll(c.work, 0o755); err != nil {
		return err
	}
	native(c, ws)
	kernel, initrd, err := prepareLinux(c, ws)
	if err != nil {
		return err
	}
	linux, aramid := map[string][]Result{}, map[string][]Result{}
	for i := 1; i <= c.boots; i++ {
		tag := fmt.Sprintf("boot %d/%d", i, c.boots)
		res, err := boot(tag+" Linux", kernel, linuxAppend, c.timeout, 0, "-initrd", initrd)
		if err != nil {
			return err
		}
		merge(linux, res)
		for _, cmdline := range aramidBoots(ws) {
			var extra []string
			if c.bundle != "" {
				extra = []string{"-initrd", c.bundle}
			}
			res, err := boot(tag+" Aramid", c.kernel, cmdline, c.timeout, qemu.StatusSuccess, extra...)
			if err != nil {
				fmt.Printf("bench: %s: %v\n", tag, err)
			}
			merge(aramid, res)
		}
	}
	return report(os.Stdout, ws, linux, aramid)
}

// native runs linuxbench on the host, only to show that it works and what
// the host's own figure is; it takes no part in any ratio, because the
// host is not the emulated machine.
func native(c config, ws []Workload) {
	var figs []string
	for _, w := range ws {
		args := append(append([]string{}, w.LinuxArgs...), fmt.Sprint(c.n), fmt.Sprint(c.runs))
		out, err := exec.Command(c.prog, args...).Output()
		res, errs := ParseConsole(string(out))
		if err != nil || len(errs) > 0 || len(res[w.LinuxName]) == 0 {
			fmt.Printf("bench: host native %s failed: %v %v\n", w.LinuxName, err, errs)
			continue
		}
		figs = append(figs, fmt.Sprintf("%s %.1f ns", w.LinuxName, Median(res[w.LinuxName])))
	}
	fmt.Printf("bench: host native, a sanity check, not in any ratio: %s\n", strings.Join(figs, ", "))
}

// prepareLinux returns the reference kernel to boot and its initramfs.
func prepareLinux(c config, ws []Workload) (kernel, initrd string, err error) {
	vmlinuz := c.vmlinuz
	if vmlinuz == "" {
		if vmlinuz, err = newestVmlinuz(c.linux); err != nil {
			return "", "", err
		}
	}
	kernel, why, err := linuxKernel(vmlinuz, c.work)
	if err != nil {
		return "", "", err
	}
	initrd = filepath.Join(c.work, "initramfs.cpio")
	if err := writeInitramfs(initrd, c.busybox, c.prog, initScript(ws, c.n, c.runs)); err != nil {
		return "", "", err
	}
	fmt.Printf("bench: Linux reference: %s; initramfs %s\n", why, initrd)
	return kernel, initrd, nil
}

// boot starts one machine, waits for it to stop and returns the BENCH
// results it printed, with an error that carries the end of the console
// when it did not stop as expected (want is QEMU's exit status, 0 for a
// Linux power-off) or printed a malformed BENCH line.
func boot(tag, kernel, cmdline string, timeout time.Duration, want int, extra ...string) (map[string][]Result, error) {
	start := time.Now()
	vm, err := qemu.Start(kernel, cmdline, extra...)
	if err != nil {
		return nil, err
	}
	status, err := vm.Wait(timeout)
	out := vm.Output()
	res, errs := ParseConsole(out)
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "linux-info: ") {
			fmt.Printf("bench: %s: %s\n", tag, strings.TrimPrefix(l, "linux-info: "))
		}
	}
	var got []string
	for name, rs := range res {
		got = append(got, fmt.Sprintf("%s×%d", name, len(rs)))
	}
	fmt.Printf("bench: %s: %.1f s, status %d, %s\n", tag, time.Since(start).Seconds(), status, strings.Join(got, " "))
	if err == nil && status != want {
		err = fmt.Errorf("QEMU exit status %d, want %d", status, want)
	}
	if err == nil && len(errs) > 0 {
		err = fmt.Errorf("malformed BENCH lines: %v", errs)
	}
	if err != nil {
		return res, fmt.Errorf("%s: %v; console ends:\n%s", tag, err, tail(out, 15))
	}
	return res, nil
}

func merge(dst, src map[string][]Result) {
	for k, v := range src {
		dst[k] = append(dst[k], v...)
	}
}

func tail(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(l[max(0, len(l)-n):], "\n")
}

// report prints, per workload, the median ns of each side with its number
// of runs and their range, and the ratio Aramid/Linux, which exists only
// when both sides measured. A missing Linux figure is an error: the
// reference must always work.
func report(out io.Writer, ws []Workload, linux, aramid map[string][]Result) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nworkload\tLinux ns/op\truns, range\tAramid ns/op\truns, range\tAramid/Linux")
	var missing []string
	for _, w := range ws {
		l, a := linux[w.LinuxName], aramid[w.AramidName]
		if len(l) == 0 {
			return fmt.Errorf("%s: the Linux reference printed no BENCH %s line", w.Key, w.LinuxName)
		}
		af, ratio := "not available\t", "-"
		if len(a) > 0 {
			af, ratio = figure(a), fmt.Sprintf("%.2f", Median(a)/Median(l))
		} else {
			missing = append(missing, w.AramidName)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", w.Title, figure(l), af, ratio)
	}
	tw.Flush()
	for _, w := range ws {
		fmt.Fprintf(out, "  %s: Aramid %s vs Linux %s\n", w.Title, w.AramidName, w.LinuxName)
	}
	for _, m := range missing {
		fmt.Fprintf(out, "Aramid side: not available yet (kernel printed no BENCH %s line)\n", m)
	}
	return nil
}

// figure is a median, then its sample count and range, as two columns.
func figure(rs []Result) string {
	lo, hi := Spread(rs)
	return fmt.Sprintf("%.1f\t%d, %.0f-%.0f", Median(rs), len(rs), lo, hi)
}
