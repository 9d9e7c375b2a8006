// Package tlsconf is TLS for every netkit listener and client: a server
// certificate that is re-read without dropping connections (on Reload, or
// when its files change), a self-signed certificate kept for the next run,
// mutual TLS with a client CA, and the client options of netkit's commands
// (CA bundle, client certificate, server name, insecure, versions).
//
// TLS 1.2 is the minimum, 1.3 is preferred, and the cipher suites are Go's
// default choice. Session resumption works: servers issue session tickets,
// and client configurations keep a session cache.
package tlsconf
