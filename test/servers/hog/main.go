// Command hog allocates and touches memory without bound, to show that the
// kernel stops a process at its memory limit and keeps running.
package main

import "fmt"

func main() {
	var keep [][]byte
	for mib := 1; ; mib++ {
		b := make([]byte, 1<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		keep = append(keep, b)
		if mib%64 == 0 {
			fmt.Printf("hog: %d MiB in %d blocks\n", mib, len(keep))
		}
	}
}
