package chat

import (
	"context"
	"errors"
	"slices"
	"strings"
)

// Directory shares what a chat server knows of its clients with the other
// nodes of a cluster: which nicknames are taken, and who is in which room.
// Room lines travel through the Hub; names and presence through the
// Directory. A nil Config.Directory means a single node, whose own tables
// are the whole truth.
type Directory interface {
	// ClaimNick reserves the folded nickname key for this node. It fails
	// with an error wrapping ErrNickTaken when another client, on any
	// node, holds it, and with another error when the claim cannot be
	// made at all (the directory unreachable): then nobody gets the name.
	// A claim lasts until ReleaseNick, or until this node stops keeping
	// it alive.
	ClaimNick(ctx context.Context, key string) error

	// ReleaseNick gives key back. It must not block for long: it is
	// called as clients leave.
	ReleaseNick(key string)

	// Others returns the presence of every other live node, as last
	// heard; the caller must not modify it.
	Others() []Presence
}

// ErrNickTaken is the error of a nickname that another client holds.
var ErrNickTaken = errors.New("chat: nickname taken")

// Presence is one node's clients and rooms, as it shows them to the
// others.
type Presence struct {
	Node    string                  `json:"node"`            // the node's name in the cluster
	Clients int                     `json:"clients"`         // clients connected to the node
	Rooms   map[string]RoomPresence `json:"rooms,omitempty"` // by room name; at most MaxPresenceRooms
}

// RoomPresence is one room's members on one node: how many, and the first
// of their names in sorted order (at most the number a /who reply lists).
type RoomPresence struct {
	Members int      `json:"members"`         // the room's clients on the node
	Names   []string `json:"names,omitempty"` // the first of their names, sorted
}

// MaxPresenceRooms bounds the rooms one node's Presence lists, so that it
// stays one small message on a bus however many rooms its clients open:
// the rooms with the most members are kept.
const MaxPresenceRooms = 1000

// Presence returns this server's clients and rooms, with the name node, for
// a Directory to share; at most MaxPresenceRooms rooms.
func (s *Server) Presence(node string) Presence {
	s.mu.Lock()
	p := Presence{Node: node, Clients: len(s.clients), Rooms: make(map[string]RoomPresence, len(s.rooms))}
	for room, members := range s.rooms {
		names := make([]string, 0, len(members))
		for _, name := range members {
			names = append(names, name)
		}
		p.Rooms[room] = RoomPresence{Members: len(members), Names: names}
	}
	s.mu.Unlock()
	if len(p.Rooms) > MaxPresenceRooms {
		rooms := make([]string, 0, len(p.Rooms))
		for room := range p.Rooms {
			rooms = append(rooms, room)
		}
		slices.SortFunc(rooms, func(a, b string) int { return p.Rooms[b].Members - p.Rooms[a].Members })
		for _, room := range rooms[MaxPresenceRooms:] {
			delete(p.Rooms, room)
		}
	}
	for room, rp := range p.Rooms {
		slices.Sort(rp.Names)
		if len(rp.Names) > maxListed {
			rp.Names = slices.Clip(rp.Names[:maxListed])
		}
		p.Rooms[room] = rp
	}
	return p
}

// others is the directory's view of the other nodes, or nothing on a
// single node.
func (s *Server) others() []Presence {
	if s.cfg.Directory == nil {
		return nil
	}
	return s.cfg.Directory.Others()
}

// clusterClients is the number of clients connected to every node, this
// one's included.
func (s *Server) clusterClients(local int) int {
	for _, p := range s.others() {
		local += p.Clients
	}
	return local
}

// mergeNames returns the first limit names of lists merged in sorted order,
// without repeating a name that two nodes list.
func mergeNames(limit int, lists ...[]string) []string {
	var all []string
	for _, l := range lists {
		all = append(all, l...)
	}
	slices.SortFunc(all, strings.Compare)
	all = slices.Compact(all)
	if len(all) > limit {
		all = all[:limit]
	}
	return all
}
