// Command evil misbehaves on purpose: "evil kernel" reads a kernel
// address, "evil priv" runs a privileged instruction. The kernel must kill
// it and carry on.
package main

import (
	"fmt"
	"os"
	"unsafe"
)

// halt executes HLT, which ring 3 may not.
func halt()

func main() {
	if len(os.Args) < 2 {
		fmt.Println("usage: evil kernel|priv")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "kernel":
		fmt.Println("evil: reading the kernel's image")
		addr := uintptr(0xffffffff80201000)
		p := *(**byte)(unsafe.Pointer(&addr))
		fmt.Println(*p)
	case "priv":
		fmt.Println("evil: executing HLT")
		halt()
	}
	fmt.Println("evil: still alive: the kernel did not stop me")
}
