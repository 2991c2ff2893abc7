// Command imagetool makes the linked kernel ELF bootable by QEMU's -kernel
// option through the PVH boot protocol (see docs/boot.md).
//
// Usage: imagetool -base 0xffffffff80000000 kernel.elf
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"

	"aramid/microkernel/boot/pvh"
)

func main() {
	base := flag.String("base", "0xffffffff80000000", "virtual address of physical address 0 in the kernel's link map")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: imagetool [-base addr] kernel.elf")
		os.Exit(2)
	}
	b, err := strconv.ParseUint(*base, 0, 64)
	if err != nil {
		fmt.Fprintf(os.Stderr, "imagetool: bad -base: %v\n", err)
		os.Exit(2)
	}
	path := flag.Arg(0)
	img, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "imagetool: %v\n", err)
		os.Exit(1)
	}
	if err := pvh.Patch(img, b); err != nil {
		fmt.Fprintf(os.Stderr, "imagetool: %s: %v\n", path, err)
		os.Exit(1)
	}
	if err := os.WriteFile(path, img, 0o755); err != nil {
		fmt.Fprintf(os.Stderr, "imagetool: %v\n", err)
		os.Exit(1)
	}
}
