package dac

import (
	"testing"

	gv "gvisor.dev/gvisor/pkg/abi/linux"
)

// TestCapabilityNumbers compares the capability numbers with gVisor's.
func TestCapabilityNumbers(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"CAP_CHOWN", CapChown, int(gv.CAP_CHOWN)}, {"CAP_DAC_OVERRIDE", CapDacOverride, int(gv.CAP_DAC_OVERRIDE)},
		{"CAP_DAC_READ_SEARCH", CapDacReadSearch, int(gv.CAP_DAC_READ_SEARCH)}, {"CAP_FOWNER", CapFowner, int(gv.CAP_FOWNER)},
		{"CAP_FSETID", CapFsetid, int(gv.CAP_FSETID)}, {"CAP_KILL", CapKill, int(gv.CAP_KILL)},
		{"CAP_SETGID", CapSetgid, int(gv.CAP_SETGID)}, {"CAP_SETUID", CapSetuid, int(gv.CAP_SETUID)},
		{"CAP_SETPCAP", CapSetpcap, int(gv.CAP_SETPCAP)}, {"CAP_LINUX_IMMUTABLE", CapLinuxImmutable, int(gv.CAP_LINUX_IMMUTABLE)},
		{"CAP_NET_BIND_SERVICE", CapNetBindService, int(gv.CAP_NET_BIND_SERVICE)}, {"CAP_NET_RAW", CapNetRaw, int(gv.CAP_NET_RAW)},
		{"CAP_SYS_PTRACE", CapSysPtrace, int(gv.CAP_SYS_PTRACE)}, {"CAP_SYS_ADMIN", CapSysAdmin, int(gv.CAP_SYS_ADMIN)},
		{"CAP_SYS_BOOT", CapSysBoot, int(gv.CAP_SYS_BOOT)}, {"CAP_MKNOD", CapMknod, int(gv.CAP_MKNOD)},
		{"CAP_MAC_OVERRIDE", CapMacOverride, int(gv.CAP_MAC_OVERRIDE)}, {"CAP_LAST_CAP", CapLast, int(gv.CAP_LAST_CAP)},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
}
