// Package layers holds no code: its test pins the module's import graph, so
// that dependencies keep flowing one way, from commands to services to
// building blocks.
package layers
