package natshub

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/netkit-dev/netkit/chat"
	"github.com/netkit-dev/netkit/lifecycle"
)

// Defaults of the DirectoryConfig fields left zero.
const (
	DefaultNickBucket     = "netkit_chat_nicks"    // the key-value bucket of nicknames
	DefaultPresenceBucket = "netkit_chat_presence" // the key-value bucket of presence
	DefaultHistoryStream  = "NETKIT_CHAT_HISTORY"  // the stream of room history
	// DefaultHistoryBytes bounds the history stream's store: at most 100
	// lines of at most a few KiB per room.
	DefaultHistoryBytes = 1 << 30
	// DefaultTTL is how long a node's nicknames and presence outlive its
	// last refresh (every TTL/3): a node that dies without cleaning up
	// frees its nicknames within this time, 16 to 24 s after its death.
	DefaultTTL = 24 * time.Second
	// DefaultPresenceInterval is how often a node looks for changes in its
	// presence to publish.
	DefaultPresenceInterval = time.Second
	// DefaultOpTimeout bounds one request to JetStream.
	DefaultOpTimeout = 5 * time.Second
	// DefaultStartTimeout bounds how long Start waits for JetStream to
	// take requests: a new cluster elects its leader first.
	DefaultStartTimeout = time.Minute
)

// ErrNotStarted is returned by a Directory used before Start.
var ErrNotStarted = errors.New("natshub: directory not started")

// DirectoryConfig configures a Directory.
type DirectoryConfig struct {
	// Node is this node's name, unique in the cluster.
	Node string

	// Source returns this node's presence (chat.Server.Presence). Set it
	// before Start, with SetSource if the server is made after the
	// directory.
	Source func() chat.Presence

	// NickBucket and PresenceBucket name the JetStream key-value buckets;
	// empty means DefaultNickBucket and DefaultPresenceBucket.
	NickBucket, PresenceBucket string

	// HistoryStream names the JetStream stream that keeps the rooms' last
	// chat.MaxHistoryLines lines, capturing what the Hubs publish under
	// Prefix (which must be theirs; empty means DefaultPrefix). Empty
	// means DefaultHistoryStream. HistoryBytes bounds its store; 0 means
	// DefaultHistoryBytes.
	HistoryStream string
	Prefix        string
	HistoryBytes  int64

	// Replicas is how many servers of a NATS cluster hold each bucket: 3
	// lets the buckets outlive one server of three; 0 means 1.
	Replicas int

	// TTL is how long entries live past their last refresh; 0 means
	// DefaultTTL. Entries are refreshed every TTL/3.
	TTL time.Duration

	// PresenceInterval is how often the presence is compared and, if
	// changed, published; 0 means DefaultPresenceInterval.
	PresenceInterval time.Duration

	// OpTimeout bounds each JetStream request; 0 means DefaultOpTimeout.
	OpTimeout time.Duration

	// StartTimeout bounds Start; 0 means DefaultStartTimeout.
	StartTimeout time.Duration

	// Logger receives lost claims and failed refreshes; nil is silent.
	Logger *slog.Logger
}

// Directory is a chat.Directory on JetStream key-value buckets: a nickname
// is a key created only if absent, so that of two nodes racing for one
// name exactly one wins; each node's presence is a key holding its rooms
// and members. Both are refreshed while the node lives and expire when it
// stops refreshing them. A Directory is a lifecycle.Component.
type Directory struct {
	conn Conn
	cfg  DirectoryConfig

	mu      sync.Mutex
	source  func() chat.Presence
	js      jetstream.JetStream
	nicks   *kvBucket
	pres    *kvBucket
	claims  map[string]uint64 // key -> revision of this node's claims
	release map[string]bool   // keys to give back
	others  map[string]heard  // node -> its presence
	wake    chan struct{}
	stop    context.CancelFunc
	done    chan struct{}
	runErr  error // why run ended, if not by Shutdown; read after done
}

type heard struct {
	p  chat.Presence
	at time.Time
}

// kvBucket is a bucket and the timeout of its requests.
type kvBucket struct {
	kv      jetstream.KeyValue
	timeout time.Duration
}

// ctx bounds one request by the bucket's timeout within parent.
func (b *kvBucket) ctx(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(parent, b.timeout)
}

var (
	_ chat.Directory      = (*Directory)(nil)
	_ chat.History        = (*Directory)(nil)
	_ lifecycle.Component = (*Directory)(nil)
)

// NewDirectory returns a directory on conn's connection, which Start
// opens.
func NewDirectory(conn Conn, cfg DirectoryConfig) *Directory {
	if cfg.NickBucket == "" {
		cfg.NickBucket = DefaultNickBucket
	}
	if cfg.PresenceBucket == "" {
		cfg.PresenceBucket = DefaultPresenceBucket
	}
	if cfg.HistoryStream == "" {
		cfg.HistoryStream = DefaultHistoryStream
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if cfg.HistoryBytes <= 0 {
		cfg.HistoryBytes = DefaultHistoryBytes
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.PresenceInterval <= 0 {
		cfg.PresenceInterval = DefaultPresenceInterval
	}
	if cfg.OpTimeout <= 0 {
		cfg.OpTimeout = DefaultOpTimeout
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = DefaultStartTimeout
	}
	return &Directory{
		conn: conn, cfg: cfg, source: cfg.Source,
		claims: make(map[string]uint64), release: make(map[string]bool), others: make(map[string]heard),
		wake: make(chan struct{}, 1), done: make(chan struct{}),
	}
}

// SetSource sets where the node's presence comes from; call it before
// Start.
func (d *Directory) SetSource(f func() chat.Presence) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.source = f
}

// kvKey returns s as a key-value key: itself when it is made of the
// characters keys allow, else hex-encoded behind '=' (which no chat name
// contains), so that no name can reach another's key.
func kvKey(s string) string {
	if safeToken(s) {
		return s
	}
	return "=" + hex.EncodeToString([]byte(s))
}

// Start opens (or creates) the buckets, reads the other nodes' presence,
// and starts the goroutine that refreshes this node's entries.
func (d *Directory) Start(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.StartTimeout)
	defer cancel()
	nc := d.conn.NATS()
	if nc == nil {
		return ErrNoConn
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("natshub: %w", err)
	}
	open := func(bucket, what string) (*kvBucket, error) {
		// A JetStream cluster elects its meta leader after its servers
		// start, and refuses requests until then: retry within ctx.
		for {
			// Short attempts: a request made before the election can wait
			// its whole timeout for an answer that will not come.
			octx, cancel := context.WithTimeout(ctx, min(d.cfg.OpTimeout, time.Second))
			kv, err := js.CreateOrUpdateKeyValue(octx, jetstream.KeyValueConfig{
				Bucket: bucket, Description: what, History: 1, TTL: d.cfg.TTL,
				Storage: jetstream.FileStorage, Replicas: d.cfg.Replicas,
			})
			cancel()
			if err == nil {
				return &kvBucket{kv, d.cfg.OpTimeout}, nil
			}
			d.logf(slog.LevelDebug, "bucket not ready; retrying", "bucket", bucket, "err", err)
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("natshub: bucket %s: %w", bucket, err)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	if d.nicks, err = open(d.cfg.NickBucket, "netkit chat nicknames, by folded name"); err != nil {
		return err
	}
	if d.pres, err = open(d.cfg.PresenceBucket, "netkit chat presence, by node"); err != nil {
		return err
	}
	for {
		octx, cancel := context.WithTimeout(ctx, min(d.cfg.OpTimeout, time.Second))
		_, err = js.CreateOrUpdateStream(octx, jetstream.StreamConfig{
			Name:        d.cfg.HistoryStream,
			Description: "netkit chat: the last lines of each room",
			Subjects:    []string{d.cfg.Prefix + ">"},
			// One subject a room: the limit per subject is the history's
			// length, and the oldest line goes first.
			MaxMsgsPerSubject: chat.MaxHistoryLines,
			MaxBytes:          d.cfg.HistoryBytes,
			Discard:           jetstream.DiscardOld,
			Storage:           jetstream.FileStorage,
			Replicas:          d.cfg.Replicas,
		})
		cancel()
		if err == nil {
			break
		}
		d.logf(slog.LevelDebug, "history stream not ready; retrying", "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("natshub: history stream: %w", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	d.mu.Lock()
	d.js = js
	d.mu.Unlock()
	wctx, stopRun := context.WithCancel(context.Background())
	w, err := d.pres.kv.WatchAll(wctx)
	if err != nil {
		stopRun()
		return fmt.Errorf("natshub: watch presence: %w", err)
	}
	d.mu.Lock()
	d.stop = stopRun
	d.mu.Unlock()
	go d.run(wctx, w)
	return nil
}

// run owns the refreshes: it publishes presence changes, gives back
// released names, refreshes claims and presence every TTL/3, and applies
// the other nodes' presence as it arrives.
func (d *Directory) run(ctx context.Context, w jetstream.KeyWatcher) {
	defer close(d.done)
	defer w.Stop()
	refresh := time.NewTicker(d.cfg.TTL / 3)
	defer refresh.Stop()
	poll := time.NewTicker(d.cfg.PresenceInterval)
	defer poll.Stop()
	var last chat.Presence
	publish := func(force bool) {
		d.mu.Lock()
		src := d.source
		d.mu.Unlock()
		if src == nil {
			return
		}
		p := src()
		p.Node = d.cfg.Node
		if !force && reflect.DeepEqual(p, last) {
			return
		}
		b, _ := json.Marshal(p)
		c, cancel := d.pres.ctx(ctx)
		defer cancel()
		if _, err := d.pres.kv.Put(c, kvKey(d.cfg.Node), b); err != nil {
			d.logf(slog.LevelWarn, "presence not published", "err", err)
			return
		}
		last = p
	}
	publish(true)
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-w.Updates():
			if !ok {
				d.runErr = errors.New("natshub: presence watch ended")
				return
			}
			if e != nil {
				d.heard(e)
			}
		case <-d.wake:
			d.giveBack(ctx)
		case <-poll.C:
			publish(false)
		case <-refresh.C:
			publish(true)
			d.refreshClaims(ctx)
		}
	}
}

// heard applies one update of another node's presence.
func (d *Directory) heard(e jetstream.KeyValueEntry) {
	if e.Key() == kvKey(d.cfg.Node) {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if e.Operation() != jetstream.KeyValuePut {
		delete(d.others, e.Key())
		return
	}
	var p chat.Presence
	if err := json.Unmarshal(e.Value(), &p); err != nil {
		d.logf(slog.LevelWarn, "malformed presence ignored", "key", e.Key(), "err", err)
		return
	}
	d.others[e.Key()] = heard{p, time.Now()}
}

// Others implements chat.Directory: the presence of every node heard from
// within the TTL. A node that stops refreshing drops out then, whether or
// not its key's expiry was announced.
func (d *Directory) Others() []chat.Presence {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]chat.Presence, 0, len(d.others))
	for key, h := range d.others {
		if time.Since(h.at) > d.cfg.TTL {
			delete(d.others, key)
			continue
		}
		out = append(out, h.p)
	}
	return out
}

// ClaimNick implements chat.Directory with a create-if-absent on the
// nickname's key.
func (d *Directory) ClaimNick(ctx context.Context, key string) error {
	d.mu.Lock()
	if d.nicks == nil {
		d.mu.Unlock()
		return ErrNotStarted
	}
	if _, mine := d.claims[key]; mine && d.release[key] {
		// Given back and taken again before the release went out.
		delete(d.release, key)
		d.mu.Unlock()
		return nil
	}
	d.mu.Unlock()
	c, cancel := context.WithTimeout(ctx, d.cfg.OpTimeout)
	defer cancel()
	rev, err := d.nicks.kv.Create(c, kvKey(key), []byte(d.cfg.Node))
	if err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return fmt.Errorf("%w (on another node)", chat.ErrNickTaken)
		}
		// Replicated buckets report a lost race with another code; the
		// key's presence settles it.
		if e, gerr := d.nicks.kv.Get(c, kvKey(key)); gerr == nil && e.Operation() == jetstream.KeyValuePut {
			return fmt.Errorf("%w (on node %s)", chat.ErrNickTaken, e.Value())
		}
		return fmt.Errorf("natshub: claim nickname: %w", err)
	}
	d.mu.Lock()
	d.claims[key] = rev
	d.mu.Unlock()
	return nil
}

// ReleaseNick implements chat.Directory: the key is deleted by the
// directory's goroutine, so that a leaving client never waits on NATS.
func (d *Directory) ReleaseNick(key string) {
	d.mu.Lock()
	if _, mine := d.claims[key]; mine {
		d.release[key] = true
	}
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// giveBack deletes the keys released since the last call, each within
// OpTimeout and all within ctx.
func (d *Directory) giveBack(ctx context.Context) {
	d.mu.Lock()
	keys := make(map[string]uint64, len(d.release))
	for k := range d.release {
		keys[k] = d.claims[k]
		delete(d.claims, k)
	}
	clear(d.release)
	d.mu.Unlock()
	for k, rev := range keys {
		c, cancel := d.nicks.ctx(ctx)
		if err := d.nicks.kv.Delete(c, kvKey(k), jetstream.LastRevision(rev)); err != nil {
			d.logf(slog.LevelWarn, "nickname not given back; it expires on its own", "nick", k, "err", err)
		}
		cancel()
	}
}

// refreshClaims renews every claim of this node, so that it outlives the
// TTL. A claim whose key changed hands (it had expired) is lost, and said
// so in the log.
func (d *Directory) refreshClaims(ctx context.Context) {
	d.mu.Lock()
	claims := make(map[string]uint64, len(d.claims))
	for k, rev := range d.claims {
		if !d.release[k] {
			claims[k] = rev
		}
	}
	d.mu.Unlock()
	for k, rev := range claims {
		c, cancel := d.nicks.ctx(ctx)
		nrev, err := d.nicks.kv.Update(c, kvKey(k), []byte(d.cfg.Node), rev)
		cancel()
		d.mu.Lock()
		if _, still := d.claims[k]; still && !d.release[k] {
			if err == nil {
				d.claims[k] = nrev
			} else if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) {
				delete(d.claims, k)
				d.logf(slog.LevelWarn, "nickname claim lost", "nick", k, "err", err)
			} else {
				d.logf(slog.LevelWarn, "nickname claim not refreshed", "nick", k, "err", err)
			}
		}
		d.mu.Unlock()
	}
}

// Wait returns once the directory's goroutine has stopped: nil after
// Shutdown, an error if its watch of the presence bucket ended on its own.
func (d *Directory) Wait() error {
	<-d.done
	return d.runErr
}

// Ready returns nil once started, while the connection is up.
func (d *Directory) Ready() error {
	d.mu.Lock()
	started := d.stop != nil
	d.mu.Unlock()
	if !started {
		return lifecycle.ErrNotStarted
	}
	if nc := d.conn.NATS(); nc == nil || !nc.IsConnected() {
		return ErrNoConn
	}
	return nil
}

// Shutdown stops refreshing, then gives back this node's nicknames and
// removes its presence, so that the others see it leave at once rather
// than when the TTL runs out. That clean-up is best effort, within ctx and
// OpTimeout: what it cannot reach (the last node of a cluster has no
// quorum) expires on its own.
func (d *Directory) Shutdown(ctx context.Context) error {
	d.mu.Lock()
	stop := d.stop
	d.mu.Unlock()
	if stop == nil {
		return nil
	}
	stop()
	select {
	case <-d.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	d.mu.Lock()
	for k := range d.claims {
		d.release[k] = true
	}
	d.mu.Unlock()
	c, cancel := context.WithTimeout(ctx, d.cfg.OpTimeout)
	defer cancel()
	d.giveBack(c)
	if err := d.pres.kv.Delete(c, kvKey(d.cfg.Node)); err != nil {
		d.logf(slog.LevelWarn, "presence not removed; it expires on its own", "err", err)
	}
	return nil
}

func (d *Directory) logf(level slog.Level, msg string, args ...any) {
	if d.cfg.Logger != nil {
		d.cfg.Logger.Log(context.Background(), level, msg, args...)
	}
}

// Record implements chat.History: nothing to do, since the history stream
// captures every line a Hub publishes, on every node.
func (d *Directory) Record(string, []byte) {}

// Last implements chat.History: it reads the room's subject in the history
// stream with a short-lived ordered consumer. The stream keeps at most
// chat.MaxHistoryLines lines a room, so one batch holds them all.
func (d *Directory) Last(ctx context.Context, room string, n int) ([][]byte, error) {
	d.mu.Lock()
	js := d.js
	d.mu.Unlock()
	if js == nil {
		return nil, ErrNotStarted
	}
	if n <= 0 {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.OpTimeout)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, d.cfg.HistoryStream, jetstream.OrderedConsumerConfig{
		FilterSubjects:    []string{Subject(d.cfg.Prefix, room)},
		DeliverPolicy:     jetstream.DeliverAllPolicy,
		InactiveThreshold: time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("natshub: history: %w", err)
	}
	// How many lines the room has, then wait for exactly those: a fetch
	// that does not wait could return before the new consumer has been
	// sent them all, and a /history would miss lines.
	info, err := cons.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("natshub: history: %w", err)
	}
	want := min(int(info.NumPending), chat.MaxHistoryLines)
	if want == 0 {
		return nil, nil
	}
	wait := d.cfg.OpTimeout
	if dl, ok := ctx.Deadline(); ok {
		wait = time.Until(dl)
	}
	batch, err := cons.Fetch(want, jetstream.FetchMaxWait(max(wait, time.Millisecond)))
	if err != nil {
		return nil, fmt.Errorf("natshub: history: %w", err)
	}
	var lines [][]byte
	for m := range batch.Messages() {
		if line, ok := unframe(m.Data()); ok {
			lines = append(lines, line)
		}
	}
	if err := batch.Error(); err != nil {
		return nil, fmt.Errorf("natshub: history: %w", err)
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines, nil
}

// HistoryLines returns how many lines the history stream holds, all rooms
// together.
func (d *Directory) HistoryLines(ctx context.Context) (uint64, error) {
	d.mu.Lock()
	js := d.js
	d.mu.Unlock()
	if js == nil {
		return 0, ErrNotStarted
	}
	st, err := js.Stream(ctx, d.cfg.HistoryStream)
	if err != nil {
		return 0, err
	}
	info, err := st.Info(ctx)
	if err != nil {
		return 0, err
	}
	return info.State.Msgs, nil
}
