package abi

// Device grants (docs/devices.md). Numbered from 0x1040, apart from the
// other native calls.
const (
	SysDeviceList   = NativeBase + 0x40 // (resource h, out *[n]DeviceInfo, n) -> functions found
	SysDeviceMint   = NativeBase + 0x41 // (resource h, index) -> device h
	SysDeviceConfig = NativeBase + 0x42 // (device h, buf, len <= 256) -> 0
	SysDeviceMapBAR = NativeBase + 0x43 // (device h, bar, size *uint64 or 0) -> address
	SysDeviceIRQ    = NativeBase + 0x44 // (device h) -> interrupt h
	SysInterruptAck = NativeBase + 0x45 // (interrupt h) -> 0
	SysDeviceDMA    = NativeBase + 0x46 // (device h, size, phys *uint64) -> memory object h
)

// Resource is the handle at which init finds the kernel's resource
// handle, the right to mint device handles. (Init has no bootstrap
// channel, so the slot is free.)
const Resource = 1

// DeviceInfo describes one PCI function, as device_list reports it.
type DeviceInfo struct {
	Bus, Dev, Fn uint8
	IRQ          uint8 // legacy interrupt line; 0xff: none
	Vendor       uint16
	Device       uint16
	Class        uint32 // class, subclass, programming interface
	Held         uint8  // 1 while a device handle exists
	_            [3]uint8
}
