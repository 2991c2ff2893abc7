package sysno

import "testing"

func TestNames(t *testing.T) {
	for n, want := range map[uint64]string{Read: "read", Futex: "futex", EpollPwait: "epoll_pwait", Getrandom: "getrandom", 1000: ""} {
		if got := Name(n); got != want {
			t.Errorf("Name(%d) = %q, want %q", n, got, want)
		}
	}
	if n, ok := Number("clone"); !ok || n != Clone {
		t.Errorf("Number(clone) = %d, %v", n, ok)
	}
}
