package virtio

// UsedOffset exposes the used ring's offset for the fuzz test, which
// plays a misbehaving device.
func UsedOffset(size int) int { return usedOffset(size) }
