// Package examplepb is the example protocol (example.proto): a small
// key-value store whose values are bytes or handles. It exists to test
// the generated code and to show it: docs/protocols.md walks through it,
// and MemStore is the in-memory server of its round-trip tests.
package examplepb
