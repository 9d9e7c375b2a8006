package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"

	"github.com/netkit-dev/netkit/lifecycle"
	"github.com/netkit-dev/netkit/loadgen"
	"github.com/netkit-dev/netkit/loadpool"
)

// newBenchWorkerCmd is `netkit bench worker`: a member of the pool of load
// workers on NATS, serving runs until interrupted.
func newBenchWorkerCmd(streams *IOStreams) *cobra.Command {
	var (
		bus  natsOptions
		name string
	)
	cmd := &cobra.Command{
		Use:   "worker --nats URL [--name NAME]",
		Short: "Join a pool of load workers on NATS and run the loads a coordinator assigns",
		Long: `Join the pool of load workers on a NATS server or cluster (--nats, or an
embedded server with --nats-listen, as netkit serve takes them), and run the
part of a load test that a coordinator (netkit bench ... --nats URL
--workers N) assigns, one run at a time, until interrupted. The worker sends
its result, HDR histogram included, for the coordinator to merge, and a
heartbeat every second during the run.`,
		Example: `  netkit bench worker --nats nats://10.0.0.5:4222 --name rack1-a
  netkit bench http http://10.0.0.9:8080/ --nats nats://10.0.0.5:4222 --workers 3 -c 300 -d 30s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := bus.validate(); err != nil {
				return err
			}
			if !bus.enabled() {
				return errors.New("bench worker needs --nats URL or --nats-listen HOST:PORT")
			}
			return runBenchWorker(cmd.Context(), streams.ErrOut, &bus, name)
		},
	}
	bus.addFlags(cmd.Flags())
	cmd.Flags().StringVar(&name, "name", "", "this worker's name in results (default: --node, or the host name)")
	return cmd
}

func runBenchWorker(ctx context.Context, errOut io.Writer, bus *natsOptions, name string) error {
	log := newLogger(errOut, "text", "info")
	g := &lifecycle.Group{}
	conn, err := bus.addBus(g, log)
	if err != nil {
		return err
	}
	if err := g.Start(ctx); err != nil {
		return err
	}
	defer g.Shutdown(context.Background())
	if name == "" {
		name = bus.nodeName()
	}
	w := &loadpool.Worker{Conn: conn.NATS(), Name: name, Logger: log}
	return w.Serve(ctx)
}

// poolFlags are the coordinator's flags of every bench run.
type poolFlags struct {
	NATS    string
	Workers int
	Wait    time.Duration
}

func (p *poolFlags) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&p.NATS, "nats", "", "with --workers: the NATS server or cluster of the worker pool (nats://HOST:PORT[,...])")
	f.IntVar(&p.Workers, "workers", 0, "run the load on this many workers of the pool (netkit bench worker), split and merged")
	f.DurationVar(&p.Wait, "workers-timeout", loadpool.DefaultWaitTimeout, "how long to wait for the workers to answer and set up")
}

// runPool runs cfg on the pool's workers.
func (o *benchOptions) runPool(ctx context.Context, cfg loadgen.Config) (*loadgen.Result, error) {
	if o.Pool.NATS == "" {
		return nil, errors.New("--workers needs --nats URL")
	}
	var tlsJob *loadpool.TLSJob
	if t := o.TLS; cfg.TLS != nil || t.Insecure || t.CACert != "" || t.ServerName != "" {
		if t.Cert != "" || t.Key != "" {
			return nil, errors.New("--cert and --key stay on this machine: client certificates are not sent to workers")
		}
		tlsJob = &loadpool.TLSJob{Insecure: t.Insecure, ServerName: t.ServerName}
		if t.CACert != "" {
			pem, err := os.ReadFile(t.CACert)
			if err != nil {
				return nil, err
			}
			tlsJob.CAPEM = pem
		}
	}
	nc, err := nats.Connect(strings.Join(splitList(o.Pool.NATS), ","), nats.Name("netkit bench coordinator"))
	if err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	defer nc.Close()
	c := &loadpool.Coordinator{Conn: nc, Workers: o.Pool.Workers, WaitTimeout: o.Pool.Wait, TLS: tlsJob}
	return c.Run(ctx, cfg)
}
