// Package cluster is what the nodes of a userdb cluster share through Redis
// beyond the rate limits: a bus on which each node announces the changes it
// made, so that the others drop what they cached of them at once, and the
// health of that link, which decides whether caches may be trusted.
package cluster
