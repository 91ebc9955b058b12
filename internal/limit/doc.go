// Package limit throttles requests: a Limiter counts events per key under a
// Rate (in memory per node, or in Redis shared by nodes), and Rules names what
// is limited and by which key, so every limit is decided in one place.
package limit
