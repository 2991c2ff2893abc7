package rpc

import (
	"sync"
	"syscall"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// handleName is Handle's full name. It is a constant because package
// variables are initialised before the generated init registers Handle's
// descriptor; a test checks the two agree.
const handleName protoreflect.FullName = "aramid.rpc.Handle"

// carriers caches, per message descriptor, whether a message of that type
// can contain a Handle, so messages without handle fields (almost all)
// are never walked.
// The key is the descriptor itself: boxing its name would allocate on
// every call.
var carriers sync.Map // protoreflect.MessageDescriptor -> bool

// carriesHandles reports whether messages described by md can hold a
// Handle at any depth.
func carriesHandles(md protoreflect.MessageDescriptor) bool {
	if v, ok := carriers.Load(md); ok {
		return v.(bool)
	}
	v := searchHandles(md, map[protoreflect.FullName]bool{})
	carriers.Store(md, v)
	return v
}

func searchHandles(md protoreflect.MessageDescriptor, seen map[protoreflect.FullName]bool) bool {
	if md.FullName() == handleName {
		return true
	}
	if seen[md.FullName()] {
		return false
	}
	seen[md.FullName()] = true
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if fd.IsMap() {
			fd = fd.MapValue()
		}
		if m := fd.Message(); m != nil && searchHandles(m, seen) {
			return true
		}
	}
	return false
}

// walkHandles calls f for every Handle set in m, in the order protobuf's
// Range visits fields (not field number order), then list and map order
// as stored. Nothing depends on that order: each Handle carries its own
// index into the message's handle table.
func walkHandles(m protoreflect.Message, f func(*Handle) error) error {
	if !m.IsValid() || !carriesHandles(m.Descriptor()) {
		return nil
	}
	if m.Descriptor().FullName() == handleName {
		h, ok := m.Interface().(*Handle)
		if !ok {
			return syscall.EINVAL
		}
		return f(h)
	}
	var err error
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		err = walkField(fd, v, f)
		return err == nil
	})
	return err
}

func walkField(fd protoreflect.FieldDescriptor, v protoreflect.Value, f func(*Handle) error) error {
	switch {
	case fd.IsList():
		if fd.Message() == nil {
			return nil
		}
		l := v.List()
		for i := 0; i < l.Len(); i++ {
			if err := walkHandles(l.Get(i).Message(), f); err != nil {
				return err
			}
		}
	case fd.IsMap():
		if fd.MapValue().Message() == nil {
			return nil
		}
		var err error
		v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
			err = walkHandles(mv.Message(), f)
			return err == nil
		})
		return err
	case fd.Message() != nil:
		return walkHandles(v.Message(), f)
	}
	return nil
}

// handlesOf lists the handle numbers set in m.
func handlesOf(m protoreflect.Message) []uint32 {
	var hs []uint32
	walkHandles(m, func(h *Handle) error {
		hs = append(hs, h.Value)
		return nil
	})
	return hs
}
