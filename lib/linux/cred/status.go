package cred

import (
	"fmt"
	"strconv"
)

// AppendStatus appends the credential lines of /proc/[pid]/status, byte
// for byte as Linux prints them, for procd: "Uid:" and "Gid:" (real,
// effective, saved, fs), "Groups:" (which keeps the trailing space Linux
// has always printed), and the five "Cap" lines in hexadecimal. Linux
// prints the Uid, Gid and Groups lines among others (FDSize comes between
// Gid and Groups) and the Cap lines further down, so each part is a
// separate function.
func (c *Cred) AppendStatus(b []byte) []byte {
	b = c.AppendStatusIDs(b)
	b = c.AppendStatusGroups(b)
	return c.AppendStatusCaps(b)
}

// AppendStatusIDs appends the "Uid:" and "Gid:" lines.
func (c *Cred) AppendStatusIDs(b []byte) []byte {
	b = fmt.Appendf(b, "Uid:\t%d\t%d\t%d\t%d\n", c.RUID, c.EUID, c.SUID, c.FSUID)
	return fmt.Appendf(b, "Gid:\t%d\t%d\t%d\t%d\n", c.RGID, c.EGID, c.SGID, c.FSGID)
}

// AppendStatusGroups appends the "Groups:" line.
func (c *Cred) AppendStatusGroups(b []byte) []byte {
	b = append(b, "Groups:\t"...)
	for i, g := range c.Groups {
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendUint(b, uint64(g), 10)
	}
	return append(b, " \n"...)
}

// AppendStatusCaps appends the CapInh, CapPrm, CapEff, CapBnd and CapAmb
// lines.
func (c *Cred) AppendStatusCaps(b []byte) []byte {
	b = fmt.Appendf(b, "CapInh:\t%016x\nCapPrm:\t%016x\nCapEff:\t%016x\n", uint64(c.Inheritable),
		uint64(c.Permitted), uint64(c.Effective))
	return fmt.Appendf(b, "CapBnd:\t%016x\nCapAmb:\t%016x\n", uint64(c.Bounding), uint64(c.Ambient))
}
