package ext4

import (
	"encoding/binary"
	"hash/crc32"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// crc32c is the kernel's crc32c_le: no pre- or post-inversion, so that
// checksums can be chained the way ext4 chains them (seed, then inode
// number, then generation, then the structure).
func crc32c(crc uint32, p []byte) uint32 {
	return ^crc32.Update(^crc, castagnoli, p)
}

func crc32cU32(crc, v uint32) uint32 {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	return crc32c(crc, b[:])
}

// crc16 is the CRC-16 (polynomial 0x8005, reflected) that ext4 uses for
// group descriptors when only gdt_csum (uninit_bg) is enabled.
func crc16(crc uint16, p []byte) uint16 {
	for _, b := range p {
		crc ^= uint16(b)
		for i := 0; i < 8; i++ {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0xA001
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}
