package cli

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/spf13/pflag"

	"github.com/netkit-dev/netkit/chat/natshub"
	"github.com/netkit-dev/netkit/lifecycle"
	"github.com/netkit-dev/netkit/natsbus"
)

// natsOptions are netkit serve's message-bus flags: an external NATS
// server or cluster (--nats), or an embedded one (--nats-listen), alone or
// one node of a cluster.
type natsOptions struct {
	URLs          string // --nats: comma-separated nats:// URLs
	Listen        string // --nats-listen: embedded server's client address
	ClusterListen string // --nats-cluster-listen
	Routes        string // --nats-routes: comma-separated nats:// URLs
	DataDir       string // --data-dir
	Node          string // --node
}

func (o *natsOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&o.URLs, "nats", "", "carry chat rooms on this NATS server or cluster (nats://HOST:PORT[,...])")
	f.StringVar(&o.Listen, "nats-listen", "", "run an embedded NATS server with JetStream on HOST:PORT and carry chat rooms on it")
	f.StringVar(&o.ClusterListen, "nats-cluster-listen", "", "with --nats-listen: accept routes from other nodes on HOST:PORT")
	f.StringVar(&o.Routes, "nats-routes", "", "with --nats-cluster-listen: the cluster's route URLs (nats://HOST:PORT[,...]), this node's own may be among them")
	f.StringVar(&o.DataDir, "data-dir", "", "where the embedded NATS server keeps its store (default: netkit in the user's state directory)")
	f.StringVar(&o.Node, "node", "", "this node's name in logs, metrics and NATS (default: the host name)")
}

// errNATSFlags is wrapped by every inconsistent combination of the flags.
var errNATSFlags = errors.New("nats flags")

func (o *natsOptions) validate() error {
	switch {
	case o.URLs != "" && o.Listen != "":
		return fmt.Errorf("%w: --nats uses an external server and --nats-listen runs an embedded one: pick one", errNATSFlags)
	case o.ClusterListen != "" && o.Listen == "":
		return fmt.Errorf("%w: --nats-cluster-listen needs --nats-listen", errNATSFlags)
	case o.Routes != "" && o.ClusterListen == "":
		return fmt.Errorf("%w: --nats-routes needs --nats-cluster-listen", errNATSFlags)
	}
	return nil
}

func (o *natsOptions) enabled() bool { return o.URLs != "" || o.Listen != "" }

// nodeName is --node, or the host name.
func (o *natsOptions) nodeName() string {
	if o.Node != "" {
		return o.Node
	}
	if h, err := os.Hostname(); err == nil {
		return h
	}
	return "netkit"
}

// defaultDataDir is netkit's folder in the user's state directory:
// $XDG_STATE_HOME/netkit, else ~/.local/state/netkit, as the XDG base
// directory specification puts state that outlives a restart; elsewhere
// than Linux and the BSDs, the user's configuration directory.
func defaultDataDir() (string, error) {
	if runtime.GOOS != "linux" && !strings.HasSuffix(runtime.GOOS, "bsd") {
		dir, err := os.UserConfigDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(dir, "netkit"), nil
	}
	if dir := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(dir) {
		return filepath.Join(dir, "netkit"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".local", "state", "netkit"), nil
}

// chatCluster is what chat needs of the message bus: the hub for room
// lines and the directory for names and presence, whose presence source is
// set once the chat server exists.
type chatCluster struct {
	Conn      *natsbus.Conn
	Hub       *natshub.Hub
	Directory *natshub.Directory
	Node      string
}

// addNATS adds the message bus to g, an embedded server first if asked
// for, then the connection and chat's directory on it. It returns nil
// (chat's in-process state) without --nats or --nats-listen.
func (o *natsOptions) addNATS(g *lifecycle.Group, log *slog.Logger) (*chatCluster, error) {
	if !o.enabled() {
		return nil, nil
	}
	node := o.nodeName()
	log = log.With("node", node)
	conn, err := o.addBus(g, log)
	if err != nil {
		return nil, err
	}
	chatLog := log.With("service", "chat")
	dir := natshub.NewDirectory(conn, natshub.DirectoryConfig{Node: node, Replicas: o.replicas(), Logger: chatLog})
	g.Add("chat-directory", dir)
	return &chatCluster{Conn: conn, Hub: natshub.New(conn, natshub.Config{Logger: chatLog}), Directory: dir, Node: node}, nil
}

// addBus adds to g the embedded NATS server if --nats-listen asks for
// one, and the connection to it or to --nats.
func (o *natsOptions) addBus(g *lifecycle.Group, log *slog.Logger) (*natsbus.Conn, error) {
	node := o.nodeName()
	cc := natsbus.ConnConfig{Name: "netkit " + node, Logger: log.With("service", "nats")}
	if o.Listen != "" {
		dir := o.DataDir
		if dir == "" {
			var err error
			if dir, err = defaultDataDir(); err != nil {
				return nil, fmt.Errorf("data directory: %w", err)
			}
		}
		store := filepath.Join(dir, "nats")
		if err := os.MkdirAll(store, 0o700); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
		srv, err := natsbus.NewServer(natsbus.ServerConfig{
			Listen: o.Listen, Name: node, StoreDir: store,
			ClusterListen: o.ClusterListen, Routes: splitList(o.Routes),
			Logger: log.With("service", "nats-server"),
		})
		if err != nil {
			return nil, err
		}
		g.Add("nats-server", srv)
		cc.Server = srv
	} else {
		cc.URLs = splitList(o.URLs)
	}
	conn := natsbus.NewConn(cc)
	g.Add("nats", conn)
	return conn, nil
}

// replicas is how many copies of chat's key-value buckets the cluster
// keeps: one per node of an embedded cluster up to three, so that a bucket
// outlives one node of three; one on a single node or an external server,
// whose cluster's size netkit does not know.
func (o *natsOptions) replicas() int {
	if n := len(splitList(o.Routes)); n > 1 {
		return min(n, 3)
	}
	return 1
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
