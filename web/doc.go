// Package web opens netkit's services to browsers: a WebSocket gateway
// through which a browser is one more chat client, in the same rooms as the
// clients of the TCP listener.
//
// A WebSocket chat connection is handed to the chat service as a connection
// of its own kind, through a tcpserver.Server that accepts from the
// gateway instead of a socket: the chat protocol, its limits (line length,
// flood control, bounded send queues that drop slow consumers) and its
// metrics apply unchanged. Each text message is one line of the chat
// protocol, both ways, without its newline.
package web
