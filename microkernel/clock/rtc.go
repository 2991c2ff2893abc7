package clock

import "aramid/microkernel/arch/amd64"

//go:nosplit
func cmos(reg uint8) uint8 {
	amd64.Outb(0x70, reg)
	return amd64.Inb(0x71)
}

//go:nosplit
func bcd(v uint8, binary bool) int64 {
	if binary {
		return int64(v)
	}
	return int64(v>>4)*10 + int64(v&0xf)
}

// readRTC returns the CMOS clock as Unix seconds (UTC, as QEMU keeps it).
//
//go:nosplit
func readRTC() int64 {
	for cmos(0x0a)&0x80 != 0 { // update in progress
	}
	bin := cmos(0x0b)&0x04 != 0
	sec, min, hour := bcd(cmos(0x00), bin), bcd(cmos(0x02), bin), bcd(cmos(0x04)&0x7f, bin)
	day, mon, year := bcd(cmos(0x07), bin), bcd(cmos(0x08), bin), bcd(cmos(0x09), bin)+2000
	return DaysFromCivil(year, mon, day)*86400 + hour*3600 + min*60 + sec
}

// DaysFromCivil converts a proleptic Gregorian date to days since
// 1970-01-01 (Howard Hinnant's algorithm).
//
//go:nosplit
func DaysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}
