package linux

// Aramid's identity, as uname(2), /proc/version and /proc/sys/kernel
// report it. Programs test the system name and compare release numbers
// to pick code paths, so a Linux personality must call itself Linux and
// name a release whose ABI it implements: Aramid follows 6.1 (procd
// renders /proc in 6.1's layout). The "-aramid" suffix and the version
// string say which kernel is really answering.
const (
	Sysname = "Linux"
	Release = "6.1.0-aramid"
	Version = "#1 SMP PREEMPT_DYNAMIC Aramid"
	Machine = "x86_64"
	// Nodename and Domainname are Linux's values before anyone sets
	// them (UTS_NODENAME, UTS_DOMAINNAME).
	Nodename   = "(none)"
	Domainname = "(none)"
)

// UTSLen is the longest string a field of struct new_utsname holds
// (__NEW_UTS_LEN); each field has one more byte for the NUL.
const UTSLen = 64

// UtsName is struct new_utsname, what uname(2) fills.
type UtsName struct {
	Sysname    [UTSLen + 1]byte
	Nodename   [UTSLen + 1]byte
	Release    [UTSLen + 1]byte
	Version    [UTSLen + 1]byte
	Machine    [UTSLen + 1]byte
	Domainname [UTSLen + 1]byte
}

// Fill sets u to Aramid's identity. It is safe on the kernel's trap path.
//
//go:nosplit
func (u *UtsName) Fill() {
	*u = UtsName{}
	copy(u.Sysname[:UTSLen], Sysname)
	copy(u.Nodename[:UTSLen], Nodename)
	copy(u.Release[:UTSLen], Release)
	copy(u.Version[:UTSLen], Version)
	copy(u.Machine[:UTSLen], Machine)
	copy(u.Domainname[:UTSLen], Domainname)
}
