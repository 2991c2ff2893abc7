package syscalls

import (
	"syscall"

	"aramid/lib/linux/cred"
	"aramid/servers/linuxd/usermem"
)

// Credentials follow Linux's rules (lib/linux/cred): linuxd keeps each
// process's credential and hands it to vfsd and netd with every request,
// which check permissions with it.

func init() {
	get := func(f func(*cred.Cred) uint32) Handler {
		return func(c *Ctx) (uint64, error) { return uint64(f(c.P().Cred)), nil }
	}
	byName["getuid"] = Entry{Fn: get(func(k *cred.Cred) uint32 { return k.RUID })}
	byName["geteuid"] = Entry{Fn: get(func(k *cred.Cred) uint32 { return k.EUID })}
	byName["getgid"] = Entry{Fn: get(func(k *cred.Cred) uint32 { return k.RGID })}
	byName["getegid"] = Entry{Fn: get(func(k *cred.Cred) uint32 { return k.EGID })}
	byName["getresuid"] = Entry{Fn: func(c *Ctx) (uint64, error) {
		k := c.P().Cred
		return putIDs(c, k.RUID, k.EUID, k.SUID)
	}}
	byName["getresgid"] = Entry{Fn: func(c *Ctx) (uint64, error) {
		k := c.P().Cred
		return putIDs(c, k.RGID, k.EGID, k.SGID)
	}}
	set := func(f func(k *cred.Cred, a []uint32) (*cred.Cred, error)) Handler {
		return func(c *Ctx) (uint64, error) {
			n, err := f(c.P().Cred, []uint32{uint32(c.Arg(0)), uint32(c.Arg(1)), uint32(c.Arg(2))})
			if err != nil {
				return 0, err
			}
			c.P().Cred = n
			return 0, nil
		}
	}
	byName["setuid"] = Entry{Fn: set(func(k *cred.Cred, a []uint32) (*cred.Cred, error) { return k.Setuid(a[0]) })}
	byName["setgid"] = Entry{Fn: set(func(k *cred.Cred, a []uint32) (*cred.Cred, error) { return k.Setgid(a[0]) })}
	byName["setreuid"] = Entry{Fn: set(func(k *cred.Cred, a []uint32) (*cred.Cred, error) { return k.Setreuid(a[0], a[1]) })}
	byName["setregid"] = Entry{Fn: set(func(k *cred.Cred, a []uint32) (*cred.Cred, error) { return k.Setregid(a[0], a[1]) })}
	byName["setresuid"] = Entry{Fn: set(func(k *cred.Cred, a []uint32) (*cred.Cred, error) { return k.Setresuid(a[0], a[1], a[2]) })}
	byName["setresgid"] = Entry{Fn: set(func(k *cred.Cred, a []uint32) (*cred.Cred, error) { return k.Setresgid(a[0], a[1], a[2]) })}
	byName["setfsuid"] = Entry{Fn: func(c *Ctx) (uint64, error) {
		n, old := c.P().Cred.Setfsuid(uint32(c.Arg(0)))
		c.P().Cred = n
		return uint64(old), nil
	}}
	byName["setfsgid"] = Entry{Fn: func(c *Ctx) (uint64, error) {
		n, old := c.P().Cred.Setfsgid(uint32(c.Arg(0)))
		c.P().Cred = n
		return uint64(old), nil
	}}
	byName["getgroups"] = Entry{Fn: getgroups}
	byName["setgroups"] = Entry{Fn: setgroups}
}

func putIDs(c *Ctx, ids ...uint32) (uint64, error) {
	for i, id := range ids {
		if err := usermem.PutU32(c.T.Mem(), c.Arg(i), id); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// ngroupsMax is NGROUPS_MAX.
const ngroupsMax = 65536

func getgroups(c *Ctx) (uint64, error) {
	g := c.P().Cred.Groups
	n := int(int32(c.Arg(0)))
	switch {
	case n < 0:
		return 0, syscall.EINVAL
	case n == 0:
		return uint64(len(g)), nil
	case n < len(g):
		return 0, syscall.EINVAL
	}
	for i, id := range g {
		if err := usermem.PutU32(c.T.Mem(), c.Arg(1)+4*uint64(i), id); err != nil {
			return 0, err
		}
	}
	return uint64(len(g)), nil
}

func setgroups(c *Ctx) (uint64, error) {
	n := c.Arg(0)
	if n > ngroupsMax {
		return 0, syscall.EINVAL
	}
	g := make([]uint32, n)
	for i := range g {
		v, err := usermem.U32(c.T.Mem(), c.Arg(1)+4*uint64(i))
		if err != nil {
			return 0, err
		}
		g[i] = v
	}
	nc, err := c.P().Cred.Setgroups(g)
	if err != nil {
		return 0, err
	}
	c.P().Cred = nc
	return 0, nil
}
