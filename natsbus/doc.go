// Package natsbus connects netkit to NATS, the message bus that carries
// chat rooms and load-generator traffic between nodes: it runs an embedded
// nats-server with JetStream (alone or as one node of a cluster), and it
// makes client connections that reconnect on their own and report their
// state for readiness probes and metrics.
//
// Both are lifecycle components, so netkit serve starts an embedded server
// before the connection that uses it, and stops them in reverse.
package natsbus
