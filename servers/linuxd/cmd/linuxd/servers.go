package main

import (
	"context"
	"fmt"
	"time"

	"aramid/lib/abi"
	"aramid/lib/ipc"
	"aramid/lib/names"
	"aramid/proto/kchan"
	"aramid/proto/netpb"
	"aramid/proto/rpc"
	"aramid/proto/vfspb"
	"aramid/servers/linuxd/file"
	"aramid/servers/linuxd/task"
)

// linuxd's connections to vfsd and netd outlive those servers: init
// restarts a server that dies, and linuxd connects to the successor
// (docs/vfsd.md and docs/netd.md say what survives).

// bulkSize is the memory linuxd shares with vfsd and with netd for large
// reads and writes: the largest memory object the kernel makes.
const bulkSize = 1 << 20

// buffer is memory linuxd shares with a server, registered with each
// instance of it in turn.
type buffer struct {
	h   ipc.Handle
	mem []byte
}

func newBuffer() (*buffer, error) {
	h, err := ipc.CreateVMO(bulkSize)
	if err != nil {
		return nil, err
	}
	mem, err := ipc.MapMemory(h)
	if err != nil {
		return nil, err
	}
	return &buffer{h: h, mem: mem.Bytes()}, nil
}

// register hands a server a handle to the buffer through register and
// returns the server's name for it.
func (b *buffer) register(register func(context.Context, *rpc.RegisterBufferRequest) (*rpc.RegisterBufferReply, error)) (uint32, error) {
	theirs, err := ipc.Dup(b.h, abi.RightRead|abi.RightWrite|abi.RightMap|abi.RightTransfer)
	if err != nil {
		return 0, err
	}
	r, err := register(context.Background(), &rpc.RegisterBufferRequest{Memory: &rpc.Handle{Value: uint32(theirs)}})
	if err != nil {
		return 0, err
	}
	return r.GetBuffer(), nil
}

// connectVFS connects to vfsd through a transport that connects to its
// successor when it dies, and shares a buffer with each instance. The
// files opened on a vfsd that died are lost (file.Node.Lost).
func connectVFS() (*file.VFS, error) {
	vfs := &file.VFS{}
	bulk, err := newBuffer()
	if err != nil {
		fmt.Println("linuxd: no buffer for vfsd (reads and writes go inline):", err)
	}
	share := func(t rpc.Transport) error {
		vfs.Bulk = nil
		if bulk == nil {
			return nil
		}
		id, err := bulk.register(vfspb.NewVfsClient(t).RegisterBuffer)
		if err != nil {
			return err
		}
		vfs.Bulk, vfs.BulkID = bulk.mem, id
		return nil
	}
	t, err := names.Dial("vfs", func(t rpc.Transport) error {
		fmt.Println("linuxd: vfsd restarted; files open on it are lost")
		return share(t)
	})
	if err != nil {
		return nil, err
	}
	if err := share(t); err != nil {
		fmt.Println("linuxd: no buffer shared with vfsd (reads and writes go inline):", err)
	}
	vfs.C, vfs.Conn = vfspb.NewVfsClient(t), t
	return vfs, nil
}

// connectNet connects linuxd to netd, shares a buffer with it, and serves
// netd's readiness notifications on a channel of their own. When that
// channel closes, netd has died: the sockets learn it (file.Net.Lost),
// and linuxd connects to the successor and makes the surviving sockets
// again on it (file.Net.Restore). bulk is nil the first time.
func connectNet(k *task.Kernel, bulk *buffer) error {
	conn, err := names.Lookup("net")
	if err != nil {
		return err
	}
	client := kchan.NewClient(conn)
	c := netpb.NewNetClient(client)
	if bulk == nil {
		if bulk, err = newBuffer(); err != nil {
			fmt.Println("linuxd: no buffer for netd (socket data goes inline):", err)
		}
	}
	var shared []byte
	var id uint32
	if bulk != nil {
		if id, err = bulk.register(c.RegisterBuffer); err != nil {
			fmt.Println("linuxd: no buffer shared with netd (socket data goes inline):", err)
		} else {
			shared = bulk.mem
		}
	}
	mine, theirs, err := ipc.Channel()
	if err != nil {
		client.Close()
		return err
	}
	k.Mu.Lock()
	n := k.Net
	if n == nil {
		n = file.NewNet(c, k.Cond)
	}
	n.Bulk, n.BulkID = shared, id
	k.Mu.Unlock()
	watched := make(chan bool, 1)
	go func() {
		kchan.Serve(context.Background(), mine, netpb.NewReadinessDispatcher(notifier{k, n}))
		closeOld := func() {
			ipc.Close(mine)
			client.Close()
		}
		if !<-watched {
			closeOld() // this connection never served; the caller retries
			return
		}
		netLost(k, bulk, closeOld)
	}()
	_, err = c.Watch(context.Background(), &netpb.WatchRequest{Channel: &rpc.Handle{Value: uint32(theirs)}})
	watched <- err == nil
	if err != nil {
		return err
	}
	k.Mu.Lock()
	if k.Net == nil {
		k.Net = n
	} else {
		n.Restore(c)
	}
	k.Mu.Unlock()
	return nil
}

// netLost tells the sockets that netd has died, then closes the dead
// connection's channels, and connects to netd's successor, waiting for
// init to start one as long as it takes. The channels close only once no
// socket call can use them, so that their handle numbers, which the
// kernel reuses, are never called by mistake.
func netLost(k *task.Kernel, bulk *buffer, closeOld func()) {
	start := time.Now()
	k.Mu.Lock()
	n := k.Net
	if n != nil {
		n.Lost()
	}
	k.Mu.Unlock()
	closeOld()
	if n == nil {
		return // the first connection failed; there is nothing to restore
	}
	fmt.Println("linuxd: netd is gone; connections on it are reset")
	for {
		err := connectNet(k, bulk)
		if err == nil {
			fmt.Printf("linuxd: netd restarted; listening sockets made again in %v\n", time.Since(start).Round(time.Millisecond))
			return
		}
		fmt.Println("linuxd: no netd yet:", err)
		time.Sleep(time.Second)
	}
}

// notifier takes netd's readiness notifications under linuxd's lock.
type notifier struct {
	k *task.Kernel
	n *file.Net
}

func (r notifier) Notify(ctx context.Context, req *netpb.NotifyRequest) (*netpb.NotifyReply, error) {
	r.k.Mu.Lock()
	defer r.k.Mu.Unlock()
	return r.n.Notify(ctx, req)
}
