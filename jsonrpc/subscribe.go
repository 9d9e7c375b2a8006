package jsonrpc

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
)

// MaxSubscriptions bounds the subscriptions one connection may hold; one
// more is refused with CodeTooLarge.
const MaxSubscriptions = 16

// ErrNoPeer is the error of a subscribe call on a transport that cannot
// send notifications to the client (a single HTTP POST, or TCP frames,
// whose clients read only responses).
var ErrNoPeer = NewError(CodeServerError, "Subscriptions need a WebSocket connection", nil)

// peer is the connection a call arrived on, for transports that send
// messages to the client unasked: it sends notifications and holds the
// connection's subscriptions, which end with it.
type peer struct {
	send func(ctx context.Context, msg []byte) error

	ctx    context.Context // ends when the connection does
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu   sync.Mutex
	subs map[string]*running
	next uint64
}

// running is a subscription whose Run has not returned.
type running struct {
	cancel context.CancelFunc
	done   chan struct{} // closed when Run has returned
}

type peerKey struct{}

func newPeer(ctx context.Context, send func(context.Context, []byte) error) *peer {
	p := &peer{send: send, subs: map[string]*running{}}
	p.ctx, p.cancel = context.WithCancel(context.WithoutCancel(ctx))
	return p
}

// withPeer returns ctx carrying p, for the calls of p's connection.
func withPeer(ctx context.Context, p *peer) context.Context {
	return context.WithValue(ctx, peerKey{}, p)
}

// close ends every subscription of the connection and waits for them.
func (p *peer) close() {
	p.cancel()
	p.wg.Wait()
}

// notify sends a notification: a request without an id.
func (p *peer) notify(ctx context.Context, method string, params any) error {
	raw, err := json.Marshal(params)
	if err != nil {
		return err
	}
	b := []byte(`{"jsonrpc":"2.0","method":`)
	b, _ = appendString(b, method)
	b = append(b, `,"params":`...)
	b = append(b, raw...)
	b = append(b, '}')
	return p.send(ctx, b)
}

// A Subscription is a stream of notifications a client asks for, as
// NAME.subscribe and NAME.unsubscribe; HandleSubscription registers one.
type Subscription struct {
	// Name prefixes the two methods: "metrics" gives metrics.subscribe and
	// metrics.unsubscribe.
	Name string

	// Notification is the method of the notifications, such as
	// "metrics.stats". Their params are {"subscription": ID, "result": V}
	// for each V that Run sends.
	Notification string

	// Run produces the notifications of one subscription from the
	// subscribe call's params, calling send for each, until ctx ends
	// (unsubscribe, or the connection closed) or send fails. It runs in
	// its own goroutine, and must return when ctx is done.
	Run func(ctx context.Context, params json.RawMessage, send func(v any) error) error
}

// SubscriptionNotice is the params of a subscription's notification.
type SubscriptionNotice struct {
	Subscription string          `json:"subscription"`
	Result       json.RawMessage `json:"result"`
}

// HandleSubscription registers sub's subscribe and unsubscribe methods.
// NAME.subscribe starts sub.Run and answers the new subscription's id, a
// string; NAME.unsubscribe takes that id (["ID"] or {"subscription":
// "ID"}) and answers whether it ended a subscription of this connection.
// A connection holds at most MaxSubscriptions, and its subscriptions end
// when it closes. Only transports that can send to the client unasked
// serve them (WebSocketHandler); on others subscribe fails with ErrNoPeer.
func (s *Server) HandleSubscription(sub Subscription) {
	s.Handle(sub.Name+".subscribe", func(ctx context.Context, params json.RawMessage) (any, error) {
		p, _ := ctx.Value(peerKey{}).(*peer)
		if p == nil {
			return nil, ErrNoPeer
		}
		return p.start(sub, params)
	})
	s.Handle(sub.Name+".unsubscribe", func(ctx context.Context, params json.RawMessage) (any, error) {
		p, _ := ctx.Value(peerKey{}).(*peer)
		if p == nil {
			return false, nil
		}
		id, err := subscriptionID(params)
		if err != nil {
			return nil, invalidParams(err)
		}
		return p.stop(id), nil
	})
}

func (p *peer) start(sub Subscription, params json.RawMessage) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ctx.Err() != nil {
		return "", context.Canceled
	}
	if len(p.subs) >= MaxSubscriptions {
		return "", NewError(CodeTooLarge, "Too many subscriptions", MaxSubscriptions)
	}
	p.next++
	id := strconv.FormatUint(p.next, 10)
	ctx, cancel := context.WithCancel(p.ctx)
	r := &running{cancel: cancel, done: make(chan struct{})}
	p.subs[id] = r
	// The params belong to the read buffer of the call; Run outlives it.
	params = append(json.RawMessage(nil), params...)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer func() {
			cancel()
			p.mu.Lock()
			if p.subs[id] == r {
				delete(p.subs, id)
			}
			p.mu.Unlock()
			close(r.done)
		}()
		sub.Run(ctx, params, func(v any) error {
			raw, err := json.Marshal(v)
			if err != nil {
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			// The connection's context, not the subscription's: a
			// WebSocket write cut short by a cancelled context closes the
			// whole connection, and unsubscribing must not.
			return p.notify(p.ctx, sub.Notification, SubscriptionNotice{Subscription: id, Result: raw})
		})
	}()
	return id, nil
}

// stop ends subscription id of this connection, reporting whether there
// was one. It returns once its Run has, so that no notification of it
// follows the unsubscribe call's response.
func (p *peer) stop(id string) bool {
	p.mu.Lock()
	r, ok := p.subs[id]
	delete(p.subs, id)
	p.mu.Unlock()
	if !ok {
		return false
	}
	r.cancel()
	<-r.done
	return true
}

// subscriptionID reads the id of an unsubscribe call: ["ID"] or
// {"subscription": "ID"}.
func subscriptionID(params json.RawMessage) (string, error) {
	var byPos []string
	if json.Unmarshal(params, &byPos) == nil && len(byPos) == 1 {
		return byPos[0], nil
	}
	var byName struct {
		Subscription *string `json:"subscription"`
	}
	if json.Unmarshal(params, &byName) == nil && byName.Subscription != nil {
		return *byName.Subscription, nil
	}
	return "", errors.New(`want ["ID"] or {"subscription": "ID"}`)
}
