// Command authwatch checks that authd answers correctly across its
// restarts, as a server that uses it would see them (make test-restart).
// It runs beside the Linux system, asks authd's checker every 200 ms
// whether uid 1000 may read and root may write a root-owned file of mode
// 0600, over a connection that looks authd up again when it dies
// (names.Dial), and prints a line each time a new authd answers, or FAIL
// and exits if an answer is wrong.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"aramid/lib/linux/dac"
	"aramid/lib/names"
	"aramid/proto/authpb"
)

// rootFile is a root-owned regular file of mode 0600.
const rootFile = syscall.S_IFREG | 0o600

func main() {
	t, err := names.Dial("auth", nil)
	if err != nil {
		fmt.Println("authwatch: FAIL:", err)
		os.Exit(1)
	}
	c := authpb.NewAuthClient(t)
	answered := ^uint64(0) // the generation whose answers were last reported
	for ; ; time.Sleep(200 * time.Millisecond) {
		t.Check()
		gen := t.Gen()
		user, err := check(c, 1000, dac.MayRead)
		if err == nil {
			var root error
			root, err = check(c, 0, dac.MayWrite)
			if err == nil && (!errors.Is(user, syscall.EACCES) || root != nil) {
				fmt.Printf("authwatch: FAIL: authd %d: uid 1000 reading %v, root writing %v\n", gen, user, root)
				os.Exit(1)
			}
		}
		if err != nil || t.Gen() != gen {
			fmt.Printf("authwatch: authd %d: %v\n", gen, err)
			continue
		}
		if gen != answered {
			answered = gen
			fmt.Printf("authwatch: authd %d answers: uid 1000 may not read a root 0600 file (EACCES), root may write it\n", gen)
		}
	}
}

// check asks whether uid may access a root 0600 file as want. The first
// error is the answer; the second one means authd did not give one.
func check(c *authpb.AuthClient, uid uint32, want uint32) (answer, err error) {
	cr := &authpb.Cred{Ruid: uid, Euid: uid, Suid: uid, Fsuid: uid}
	_, err = c.CheckAccess(context.Background(), &authpb.AccessRequest{Cred: cr, Mode: rootFile, Want: want})
	if err == nil || errors.Is(err, syscall.EACCES) {
		return err, nil
	}
	return nil, err
}
