package server

import (
	"context"
	"fmt"
	"time"

	"aramid/lib/ipc"
	"aramid/lib/names"
	"aramid/proto/kchan"
	"aramid/proto/procpb"
	"aramid/proto/rpc"
)

// OfferSource registers the calling server with procd as its source of
// kind (linuxd's processes, netd's sockets), and again with each
// successor init starts when procd dies, since a new procd knows no
// source. serve answers procd's calls on the channel it is given and
// returns when procd's end closes. Without procd in the system OfferSource
// returns at once; it reports, as who, what it could not do.
func OfferSource(who string, kind procpb.SourceKind, serve func(ipc.Handle)) {
	for first := true; ; first = false {
		conn, err := names.Lookup("proc")
		switch {
		case err != nil && first:
			fmt.Printf("%s: no procd: %v\n", who, err)
			return
		case err != nil:
			fmt.Printf("%s: no procd yet: %v\n", who, err)
			time.Sleep(time.Second)
			continue
		}
		if err := offer(conn, kind, serve); err != nil {
			fmt.Printf("%s: procd refused the source: %v\n", who, err)
			return
		}
		fmt.Printf("%s: procd is gone; offering the source to its successor\n", who)
	}
}

// offer registers a source of kind with the procd at the other end of
// conn and serves it until procd closes it.
func offer(conn ipc.Handle, kind procpb.SourceKind, serve func(ipc.Handle)) error {
	client := kchan.NewClient(conn)
	defer client.Close()
	mine, theirs, err := ipc.Channel()
	if err != nil {
		return err
	}
	defer ipc.Close(mine)
	served := make(chan struct{})
	go func() {
		serve(mine)
		close(served)
	}()
	req := &procpb.RegisterSourceRequest{Kind: kind, Channel: &rpc.Handle{Value: uint32(theirs)}}
	if _, err := procpb.NewProcClient(client).RegisterSource(context.Background(), req); err != nil {
		return err
	}
	<-served
	return nil
}
