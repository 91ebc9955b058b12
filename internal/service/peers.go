package service

import "strings"

// Peers are the other nodes of a cluster, reached through Redis
// (internal/cluster): what one node changes, the others drop from their
// caches at once instead of at the end of SessionCacheTTL.
type Peers interface {
	// Publish tells the other nodes that what key names has changed. It
	// is called after the change was committed, and does not fail: when
	// the message cannot be sent, the other nodes find out within
	// SessionCacheTTL, as without Redis.
	Publish(key string)
	// Connected reports whether the other nodes' changes reach this node
	// now. While they do not, the caches are not trusted and every lookup
	// reads the store.
	Connected() bool
}

// noPeers is a node on its own (or in a cluster without Redis): its caches
// serve until their TTL.
type noPeers struct{}

func (noPeers) Publish(string)  {}
func (noPeers) Connected() bool { return true }

// The keys of changes. A key this node does not know (a newer node's, in
// a rolling upgrade) is taken to mean everything.
const (
	changedAll     = "*"
	changedRoles   = "roles"
	changedSchema  = "schema"
	changedAPIKeys = "apikeys"
	changedUser    = "user:" // + user id
)

// changed drops what this node caches under key and tells the other nodes.
func (s *Service) changed(key string) {
	s.drop(key)
	s.peers.Publish(key)
}

// Forget drops what this node caches under key, a key another node
// published; changedAll ("*") drops everything, as after the node missed
// messages.
func (s *Service) Forget(key string) { s.drop(key) }

func (s *Service) drop(key string) {
	switch {
	case strings.HasPrefix(key, changedUser):
		s.sessions.dropUser(strings.TrimPrefix(key, changedUser))
		s.keys.dropCreator(strings.TrimPrefix(key, changedUser))
	case key == changedRoles:
		s.roles.forget()
		s.keys.forget() // the creators of keys hold roles too
	case key == changedSchema:
		s.schema.forget()
	case key == changedAPIKeys:
		s.keys.forget()
	default:
		s.sessions.dropAll()
		s.roles.forget()
		s.schema.forget()
		s.keys.forget()
	}
}
