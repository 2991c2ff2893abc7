package qemu

import "testing"

func TestTaskStatus(t *testing.T) {
	out := "init: pid 1, starting [echo pinger!]\r\n" +
		"init: echo: killed by CPU exception 14\r\n" +
		"init: restarting echo (1 of 3)\r\n" +
		"init: echo: exit status 0\r\n" +
		"init: evil kernel: killed by CPU exception 14\r\n" +
		"init: pinger: exit status 2\r\n" +
		"init: cannot start ghost: not found\r\n" +
		"init: all tasks finished, 2 of 3 failed\r\n"
	for cmd, want := range map[string]string{
		"echo":        "exit status 0",
		"evil kernel": "killed by CPU exception 14",
		"evil":        "",
		"pinger":      "exit status 2",
		"ghost":       "",
	} {
		if got := TaskStatus(out, cmd); got != want {
			t.Errorf("TaskStatus(%q) = %q, want %q", cmd, got, want)
		}
	}
	if err := TasksSucceeded(out, "echo"); err != nil {
		t.Error(err)
	}
	for _, cmd := range []string{"pinger", "evil kernel", "ghost"} {
		if err := TasksSucceeded(out, "echo", cmd); err == nil {
			t.Errorf("TasksSucceeded(echo, %s) = nil", cmd)
		}
	}
	if got := ExitStatus(0); got != StatusSuccess {
		t.Errorf("ExitStatus(0) = %d, want StatusSuccess", got)
	}
	if got := ExitStatus(3); got != 7 {
		t.Errorf("ExitStatus(3) = %d, want 7", got)
	}
}
