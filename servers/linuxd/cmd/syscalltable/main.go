// Command syscalltable prints docs/syscalls.md: linuxd's system-call
// table, generated from the table itself so that it cannot drift.
package main

import (
	"fmt"

	"aramid/servers/linuxd/syscalls"
)

func main() { fmt.Print(syscalls.Markdown()) }
