// Package pq is a pure Go Postgres driver (vendored copy, not this project's code).
package pq

type conn struct {
	name string
}

func (c *conn) Close() error { return nil }
