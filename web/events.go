package web

import (
	"encoding/json"
	"strings"
	"sync"

	"github.com/netkit-dev/netkit/chat"
)

// Event is a chat line as the JSON mode of /ws/chat sends it
// (?format=json): its kind as type (welcome, message, notice, error or
// other), the room the client is in, the sender of a message, its text,
// and the line's time of day as the chat service stamps it (HH:MM:SS).
type Event struct {
	Type string `json:"type"`
	Room string `json:"room,omitempty"`
	From string `json:"from,omitempty"`
	Text string `json:"text"`
	Time string `json:"time,omitempty"`
}

// ClientEvent is what a browser sends in JSON mode: a line to send to its
// room, or a command ("/join dev").
type ClientEvent struct {
	Text string `json:"text"`
}

// events converts one connection's lines to and from JSON, keeping the
// room the client is in: it follows the client's /join commands to the
// service's confirmation.
type events struct {
	mu      sync.Mutex
	room    string
	joining string // the room of a /join sent and not yet confirmed
}

// fromClient turns a client's JSON message into a protocol line, or
// returns why it cannot.
func (e *events) fromClient(msg []byte) (line []byte, errText string) {
	var ce ClientEvent
	if err := json.Unmarshal(msg, &ce); err != nil {
		return nil, `want {"text": "..."}: ` + err.Error()
	}
	if rest, ok := strings.CutPrefix(ce.Text, "/join "); ok {
		e.mu.Lock()
		e.joining = chat.CanonicalRoom(strings.TrimSpace(rest))
		e.mu.Unlock()
	}
	return []byte(ce.Text), ""
}

// toClient turns a protocol line into an Event's JSON.
func (e *events) toClient(line []byte) []byte {
	l := chat.ParseLine(string(line))
	e.mu.Lock()
	if l.Kind == chat.KindNotice && e.joining != "" && strings.HasSuffix(l.Text, " joined "+e.joining) {
		e.room, e.joining = e.joining, ""
	}
	room := e.room
	e.mu.Unlock()
	b, _ := json.Marshal(Event{Type: l.Kind, Room: room, From: l.From, Text: l.Text, Time: l.Time})
	return b
}

// errorEvent is the gateway's own error, for a message it could not read.
func errorEvent(text string) []byte {
	b, _ := json.Marshal(Event{Type: chat.KindError, Text: text})
	return b
}
