// Package loader reads the boot bundle (a newc cpio archive passed as the
// initrd) and the static ELF64 programs in it. Both parsers take untrusted
// bytes, never allocate, and are go:nosplit, because processes are created
// on the trap path.
package loader

// Find returns the contents of the regular file called name in a newc cpio
// archive. A leading "./" in archive names is ignored.
//
//go:nosplit
func Find(archive []byte, name string) ([]byte, bool) {
	off := 0
	for off+110 <= len(archive) {
		h := archive[off : off+110]
		if string(h[:6]) != "070701" {
			return nil, false
		}
		mode, ok1 := hex8(h[14:22])
		size, ok2 := hex8(h[54:62])
		nsize, ok3 := hex8(h[94:102])
		if !ok1 || !ok2 || !ok3 || nsize == 0 {
			return nil, false
		}
		nameEnd := off + 110 + int(nsize)
		dataOff := align4(nameEnd)
		dataEnd := dataOff + int(size)
		if nameEnd > len(archive) || dataEnd > len(archive) || dataEnd < dataOff {
			return nil, false
		}
		n := archive[off+110 : nameEnd-1] // without the NUL
		if len(n) > 2 && n[0] == '.' && n[1] == '/' {
			n = n[2:]
		}
		if string(n) == "TRAILER!!!" {
			return nil, false
		}
		if mode&0o170000 == 0o100000 && string(n) == name {
			return archive[dataOff:dataEnd], true
		}
		off = align4(dataEnd)
	}
	return nil, false
}

//go:nosplit
func align4(n int) int { return (n + 3) &^ 3 }

//go:nosplit
func hex8(b []byte) (uint32, bool) {
	v := uint32(0)
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | uint32(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | uint32(c-'a'+10)
		case c >= 'A' && c <= 'F':
			v = v<<4 | uint32(c-'A'+10)
		default:
			return 0, false
		}
	}
	return v, true
}
