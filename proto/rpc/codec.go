package rpc

import (
	"context"
	"encoding/binary"
	"syscall"

	"google.golang.org/protobuf/proto"

	"aramid/lib/linux"
)

// Invoke is the body of every generated client method: it encodes req
// under the method ordinal, calls t, and decodes the reply into reply.
// A non-nil error is always a syscall.Errno. Handles in req are consumed
// whatever the outcome.
func Invoke(ctx context.Context, t Transport, ordinal uint32, req, reply proto.Message) error {
	msg, err := encode(ordinal, req)
	if err != nil {
		t.Release(handlesOf(req.ProtoReflect()))
		return err
	}
	rep, err := t.Call(ctx, msg)
	if err != nil {
		return Errno(err)
	}
	if err := decodeReply(rep, reply); err != nil {
		t.Release(rep.Handles)
		return err
	}
	return nil
}

func decodeReply(rep Message, reply proto.Message) error {
	if err := checkLimits(rep); err != nil {
		return err
	}
	if len(rep.Data) < headerSize {
		return syscall.EBADMSG
	}
	switch errno := binary.LittleEndian.Uint32(rep.Data); {
	case errno > linux.MaxErrno:
		return syscall.EBADMSG
	case errno != 0:
		if len(rep.Data) != headerSize || len(rep.Handles) != 0 {
			return syscall.EBADMSG
		}
		return syscall.Errno(errno)
	}
	return Unmarshal(rep.Data[headerSize:], rep.Handles, reply)
}

// Unmarshal decodes a frame body into m and replaces each Handle's wire
// index with the received handle number. Every received handle must be
// named by exactly one Handle field; anything else is EBADMSG, so a
// capability can never arrive unnoticed.
func Unmarshal(body []byte, handles []uint32, m proto.Message) error {
	if err := proto.Unmarshal(body, m); err != nil {
		return syscall.EBADMSG
	}
	if !carriesHandles(m.ProtoReflect().Descriptor()) {
		if len(handles) != 0 {
			return syscall.EBADMSG
		}
		return nil
	}
	return bindHandles(m, handles)
}

// bindHandles replaces the wire indexes in m's Handles with handles.
func bindHandles(m proto.Message, handles []uint32) error {
	used := make([]bool, len(handles))
	err := walkHandles(m.ProtoReflect(), func(h *Handle) error {
		i := h.Value
		if uint64(i) >= uint64(len(handles)) || used[i] {
			return syscall.EBADMSG
		}
		used[i] = true
		h.Value = handles[i]
		return nil
	})
	if err != nil {
		return err
	}
	for _, u := range used {
		if !u {
			return syscall.EBADMSG
		}
	}
	return nil
}

// Reply is the tail of every generated dispatcher case: it turns a server
// method's results into a reply frame, plus the handles to close if the
// reply cannot be sent.
func Reply(m proto.Message, err error) (Message, []uint32) {
	if err != nil {
		return ErrorReply(err), handlesOf(m.ProtoReflect())
	}
	msg, err := encode(0, m)
	if err != nil {
		return ErrorReply(err), handlesOf(m.ProtoReflect())
	}
	return msg, nil
}

// encode builds a frame: the 4-byte header, then m with each Handle's
// number replaced by its index in the returned Message.Handles. m itself
// is left untouched: when it holds handles, a copy is rewritten.
func encode(head uint32, m proto.Message) (Message, error) {
	var hs []uint32
	if carriesHandles(m.ProtoReflect().Descriptor()) && m.ProtoReflect().IsValid() {
		var err error
		if m, hs, err = unbindHandles(m); err != nil {
			return Message{}, err
		}
	}
	size := proto.Size(m)
	if size > MaxMessageSize-headerSize {
		return Message{}, syscall.EMSGSIZE
	}
	buf := make([]byte, headerSize, headerSize+size)
	binary.LittleEndian.PutUint32(buf, head)
	buf, err := proto.MarshalOptions{Deterministic: true}.MarshalAppend(buf, m)
	if err != nil {
		return Message{}, syscall.EINVAL
	}
	return Message{Data: buf, Handles: hs}, nil
}

// unbindHandles returns a copy of m whose Handles hold wire indexes, and
// the handle numbers they index.
func unbindHandles(m proto.Message) (proto.Message, []uint32, error) {
	var hs []uint32
	m = proto.Clone(m)
	err := walkHandles(m.ProtoReflect(), func(h *Handle) error {
		if len(hs) == MaxHandles {
			return syscall.EMSGSIZE
		}
		hs = append(hs, h.Value)
		h.Value = uint32(len(hs) - 1)
		return nil
	})
	return m, hs, err
}
