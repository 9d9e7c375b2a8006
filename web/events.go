package web

import (
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/netkit-dev/netkit/chat"
)

// Event is a chat line as the JSON mode of /ws/chat sends it
// (?format=json): its kind as type (welcome, message, notice, error or
// other), the room the client is in, the sender of a message, its text,
// when the gateway received it, and the line's time of day as the chat
// service stamps it. The stamp is the server's wall clock, HH:MM:SS with
// no date or zone, and a line of /history keeps the one it had when sent;
// time is a full RFC 3339 time with its offset, as `netkit chat --json`
// gives them.
type Event struct {
	Type       string `json:"type"`
	Room       string `json:"room,omitempty"`
	From       string `json:"from,omitempty"`
	Text       string `json:"text"`
	Time       string `json:"time"`                  // received, RFC 3339 with milliseconds
	ServerTime string `json:"server_time,omitempty"` // the chat service's HH:MM:SS
}

// timeFormat is RFC 3339 with milliseconds, the time of every JSON output
// of netkit.
const timeFormat = "2006-01-02T15:04:05.000Z07:00"

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
	// As the service reads a command: surrounding space trimmed, and the
	// command's name in any case ("/JOIN dev").
	name, arg, _ := strings.Cut(strings.TrimSpace(ce.Text), " ")
	if strings.EqualFold(name, "/join") && strings.TrimSpace(arg) != "" {
		e.mu.Lock()
		e.joining = chat.CanonicalRoom(strings.TrimSpace(arg))
		e.mu.Unlock()
	}
	return []byte(ce.Text), ""
}

// toClient turns a protocol line into an Event's JSON.
func (e *events) toClient(line []byte) []byte {
	l := chat.ParseLine(string(line))
	e.mu.Lock()
	switch {
	case e.joining == "":
	case l.Kind == chat.KindNotice && strings.HasSuffix(l.Text, " joined "+e.joining):
		e.room, e.joining = e.joining, ""
	case l.Kind == chat.KindError && strings.Contains(strings.ToLower(l.Text), e.joining):
		// The service refused the join (an invalid room, the room the
		// client is in, or one it cannot join now), naming the room: a
		// later notice of someone else's joining that room must not move
		// this client there.
		e.joining = ""
	}
	room := e.room
	e.mu.Unlock()
	b, _ := json.Marshal(Event{Type: l.Kind, Room: room, From: l.From, Text: l.Text, Time: time.Now().Format(timeFormat), ServerTime: l.Time})
	return b
}

// errorEvent is the gateway's own error, for a message it could not read.
func errorEvent(text string) []byte {
	b, _ := json.Marshal(Event{Type: chat.KindError, Text: text, Time: time.Now().Format(timeFormat)})
	return b
}
