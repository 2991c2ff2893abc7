package main

import (
	"bytes"
	"debug/elf"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// deviceModules are the modules the reference loads for the device
// workloads, in order: crc32c first, which ext4 asks the crypto API for by
// name rather than by symbol, then ext4 after its dependencies, virtio's
// ring and PCI transports, the block driver, and the network driver after
// its failover dependencies. Debian builds all of them as modules.
var deviceModules = []string{
	"crc32c_generic", "jbd2", "mbcache", "crc16", "ext4",
	"virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio_pci", "virtio_mmio",
	"virtio_blk", "failover", "net_failover", "virtio_net",
}

// modulesDir is where make linux-ref unpacked the modules of the kernel
// vmlinuz (DIR/boot/vmlinuz-RELEASE): DIR/lib/modules/RELEASE.
func modulesDir(linux, vmlinuz string) string {
	return filepath.Join(linux, "lib", "modules", strings.TrimPrefix(filepath.Base(vmlinuz), "vmlinuz-"))
}

// loadModules reads names from dir, a kernel's lib/modules/RELEASE,
// leaving out those built into the kernel (modules.builtin) and
// decompressing .ko.xz files. It checks that every module's dependencies
// (depends= in its .modinfo) are built in or come earlier in names, so that
// a wrong order fails here, not as an insmod error in the guest.
func loadModules(dir string, names []string) ([]Module, error) {
	builtin, err := builtinModules(dir)
	if err != nil {
		return nil, err
	}
	files, err := moduleFiles(dir)
	if err != nil {
		return nil, err
	}
	loaded := map[string]bool{}
	var ms []Module
	for _, name := range names {
		if builtin[name] {
			continue
		}
		path, ok := files[name]
		if !ok {
			return nil, fmt.Errorf("module %s is neither built into the kernel nor under %s", name, dir)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		if strings.HasSuffix(path, ".xz") {
			if data, err = decompress(data); err != nil {
				return nil, fmt.Errorf("%s: %v", path, err)
			}
		}
		deps, err := moduleDepends(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		for _, d := range deps {
			if !builtin[d] && !loaded[d] {
				return nil, fmt.Errorf("module %s needs %s, which is not loaded before it", name, d)
			}
		}
		loaded[name] = true
		ms = append(ms, Module{Name: name, Data: data})
	}
	return ms, nil
}

// moduleName is the name the kernel knows a module file by: its base name
// without .ko or .ko.xz, with dashes as underscores.
func moduleName(path string) (string, bool) {
	base := filepath.Base(path)
	for _, ext := range []string{".ko", ".ko.xz"} {
		if name, ok := strings.CutSuffix(base, ext); ok {
			return strings.ReplaceAll(name, "-", "_"), true
		}
	}
	return "", false
}

// builtinModules reads dir/modules.builtin, the modules built into the
// kernel, one path per line.
func builtinModules(dir string) (map[string]bool, error) {
	b, err := os.ReadFile(filepath.Join(dir, "modules.builtin"))
	if err != nil {
		return nil, fmt.Errorf("%v (make linux-ref unpacks the kernel's modules)", err)
	}
	builtin := map[string]bool{}
	for _, l := range strings.Fields(string(b)) {
		if name, ok := moduleName(l); ok {
			builtin[name] = true
		}
	}
	return builtin, nil
}

// moduleFiles finds the module files under dir by name.
func moduleFiles(dir string) (map[string]string, error) {
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if name, ok := moduleName(path); ok && !d.IsDir() {
			files[name] = path
		}
		return nil
	})
	return files, err
}

// moduleDepends reads the depends= entry of a module's .modinfo section:
// the modules whose symbols it uses.
func moduleDepends(ko []byte) ([]string, error) {
	f, err := elf.NewFile(bytes.NewReader(ko))
	if err != nil {
		return nil, err
	}
	sec := f.Section(".modinfo")
	if sec == nil {
		return nil, fmt.Errorf("no .modinfo section")
	}
	info, err := sec.Data()
	if err != nil {
		return nil, err
	}
	for _, kv := range bytes.Split(info, []byte{0}) {
		if deps, ok := bytes.CutPrefix(kv, []byte("depends=")); ok {
			if len(deps) == 0 {
				return nil, nil
			}
			return strings.Split(string(deps), ","), nil
		}
	}
	return nil, nil
}
