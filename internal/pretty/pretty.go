// Package pretty formats output for a person at a terminal, as HTTPie
// shows it: XML laid out (FormatXML), and text coloured by chroma in a
// style chosen by chroma's or HTTPie's names (Highlight, ResolveStyle).
package pretty
