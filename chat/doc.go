// Package chat implements a line-based chat service: rooms, nicknames,
// commands, timestamped notices, and a fan-out that a client which stops
// reading cannot stall.
//
// # Protocol
//
// The protocol is lines of UTF-8 text ended by '\n' (a '\r' before it is
// dropped). On connect the server sends
//
//	Welcome! You are HOST:PORT. N client(s) connected.
//
// exactly as Python's asyncio chat server does, and puts the client in the room
// "lobby". Each line a client sends is delivered to every client of its
// room, the sender included, as
//
//	[HH:MM:SS] NAME: message
//
// where NAME is HOST:PORT until the client picks a nickname. Lines starting
// with '/' are commands:
//
//	/nick NAME    take a nickname (unique, case-insensitive; a letter, then letters, digits, '-' or '_'; at most 24)
//	/join ROOM    leave the current room for ROOM (letters, digits, '-' or '_'; at most 32; lower-cased)
//	/rooms        list the rooms and how many clients each holds
//	/who          list the clients of the current room (on a cluster, with each node's count)
//	/history [N]  the room's last N lines as they were delivered, oldest first (20; at most 100)
//	/me ACTION    send "[HH:MM:SS] * NAME ACTION" to the room
//	/quit [TEXT]  leave; the room reads "* NAME quit (TEXT)"
//	/help         list the commands
//
// Notices are timestamped like messages, so a client that reads chat lines
// reads them too: "[HH:MM:SS] * alice joined lobby", "* alice left lobby",
// "* 127.0.0.1:50000 is now known as alice", "* alice quit (reason)".
// Errors answer only the client that caused them and start with '!':
// "[HH:MM:SS] ! unknown command /foo; try /help". A leading "//" sends a
// message that starts with '/'.
//
// # Limits
//
// Each client has one writer goroutine and an outgoing queue bounded in
// bytes (Config.MaxQueue, 96 KiB by default, ergo's IRC send queue). A
// client whose queue is full is not reading: it is told "send queue
// exceeded" (if it still can be) and disconnected, and the room reads its
// quit notice; the publisher never waits for it. Flood control is a token
// bucket per client (10 lines a second, bursts of 20): the first line over
// the limit gets a warning, and a client that keeps going over is
// disconnected. Lines longer than Config.MaxLine are refused with an error;
// lines longer than the tcpserver's MaxRequest end the connection.
//
// # Rooms behind a Hub
//
// Rooms are reached through the Hub interface (publish to a room, subscribe
// to a room). LocalHub is the in-process implementation; a distributed
// backplane can replace it without touching the protocol code.
//
// # Serving
//
// Server is a tcpserver.Handler. tcpserver.Server.Shutdown is the graceful
// shutdown: every client reads "[HH:MM:SS] * server shutting down" before
// its connection closes. NewCollector exports the service's metrics. Chat
// clients may stay silent for hours, so the tcpserver's IdleTimeout is
// best off (negative; TCP keep-alive finds dead peers) with a ReadTimeout
// for the reading of one line; its ParkIdle must stay zero, since a session
// keeps state and a writer goroutine across lines. Writes to clients go
// through tcpserver.Conn, so the tcpserver's WriteTimeout bounds each of
// them as well as Config.WriteTimeout: it should be at least as long (or
// negative, no limit), or it, not Config.WriteTimeout, decides how long a
// client that stops reading is waited for.
package chat
