package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Timings of the bus. A connection that dies without a word (a network
// partition rather than a stopped Redis) is noticed within two PingEvery.
const (
	PingEvery      = time.Second
	publishTimeout = 250 * time.Millisecond
	retryMin       = 100 * time.Millisecond
	retryMax       = 2 * time.Second
)

// Bus carries cache invalidations between nodes over Redis pub/sub. Each
// node publishes the keys of what it changed (service.Peers) and applies
// the keys the others publish. While the bus is not subscribed (Redis
// down, or not yet reached) Connected is false and the service reads the
// store on every lookup; once subscribed again it drops every cache, since
// it may have missed messages meanwhile.
//
// Pub/sub rather than Redis's client-side caching: the data lives in SQL,
// not in Redis, so there are no Redis keys whose invalidation Redis could
// track; a message per change costs the hot path nothing (lookups stay in
// process memory) and costs a write one PUBLISH.
type Bus struct {
	client  *redis.Client
	channel string
	node    string // this node's id, to skip its own messages
	log     *slog.Logger

	up                             atomic.Bool // subscribed
	failing                        atomic.Bool // the last attempt to subscribe failed
	sent, received, failed, resync atomic.Int64
	lastWarn                       atomic.Int64 // unix nanoseconds of the last failed publish logged
}

// New returns a bus on client. channel is shared by every node of one
// cluster (pub/sub ignores Redis's database numbers).
func New(client *redis.Client, channel string, log *slog.Logger) *Bus {
	var id [6]byte
	rand.Read(id[:])
	return &Bus{client: client, channel: channel, node: hex.EncodeToString(id[:]), log: log}
}

// Connected reports whether the bus is subscribed: changes other nodes
// publish reach this one.
func (b *Bus) Connected() bool { return b.up.Load() }

// Failing reports whether the bus found Redis unreachable at its last
// attempt. Unlike !Connected, it is false before the first attempt: the
// rate limits try Redis until it is known to be down.
func (b *Bus) Failing() bool { return b.failing.Load() }

// Publish announces key to the other nodes. It is bounded in time and
// never fails the caller: a change that cannot be announced reaches the
// other nodes at the end of their cache TTL, and is counted (and logged at
// most every ten seconds, not once per write of an outage).
//
// It runs on a context of its own rather than the request's: the change is
// committed, and a request cancelled now must not keep it from the others.
func (b *Bus) Publish(key string) {
	ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
	defer cancel()
	if err := b.client.Publish(ctx, b.channel, b.node+" "+key).Err(); err != nil {
		b.failed.Add(1)
		now, last := time.Now().UnixNano(), b.lastWarn.Load()
		if now-last >= int64(10*time.Second) && b.lastWarn.CompareAndSwap(last, now) {
			b.log.Warn("cluster: could not announce a change to the other nodes; they see it within sessions.cache_ttl",
				"err", err, "failed_so_far", b.failed.Load())
		}
		return
	}
	b.sent.Add(1)
}

// Stats are the bus's counters, for metrics.
type Stats struct {
	Sent, Received, Failed int64
	Resyncs                int64 // subscriptions (re)made: every cache dropped
}

// Stats returns the counters.
func (b *Bus) Stats() Stats {
	return Stats{Sent: b.sent.Load(), Received: b.received.Load(), Failed: b.failed.Load(), Resyncs: b.resync.Load()}
}

// Run subscribes and hands apply each key other nodes publish, until ctx
// ends. After each (re)subscription it calls apply("*") before saying it is
// connected. It reconnects by itself, with backoff.
func (b *Bus) Run(ctx context.Context, apply func(key string)) {
	wait, logged := retryMin, false
	for {
		subscribed, err := b.listen(ctx, apply)
		if ctx.Err() != nil {
			break
		}
		b.failing.Store(true)
		if b.up.Swap(false) {
			logged = false
		}
		if !logged {
			b.log.Warn("cluster: Redis unreachable; caches off, every lookup reads the database", "err", err)
			logged = true
		}
		if subscribed {
			wait = retryMin
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(wait*2, retryMax)
	}
	b.up.Store(false)
}

// listen holds one subscription until it fails, and says whether it was
// ever subscribed.
func (b *Bus) listen(ctx context.Context, apply func(string)) (subscribed bool, err error) {
	ps := b.client.Subscribe(ctx, b.channel)
	defer ps.Close()
	// A read waiting for a message does not watch ctx: closing the
	// subscription ends it at once.
	defer context.AfterFunc(ctx, func() { ps.Close() })()
	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(ctx, PingEvery)
		if err != nil {
			if ctx.Err() != nil {
				return subscribed, nil
			}
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() || pinged {
				return subscribed, err
			}
			if err := ps.Ping(ctx); err != nil {
				return subscribed, err
			}
			pinged = true
			continue
		}
		pinged = false
		switch m := msg.(type) {
		case *redis.Subscription:
			// A first subscription, or go-redis's own after a reconnect:
			// either way messages may have been missed.
			if m.Kind == "subscribe" {
				subscribed = true
				b.failing.Store(false)
				apply("*")
				b.resync.Add(1)
				if !b.up.Swap(true) {
					b.log.Info("cluster: subscribed to changes of the other nodes; caches on")
				}
			}
		case *redis.Message:
			node, key, ok := strings.Cut(m.Payload, " ")
			if ok && node != b.node {
				b.received.Add(1)
				apply(key)
			}
		}
	}
}
