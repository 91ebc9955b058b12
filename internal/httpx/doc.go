// Package httpx holds what every userdb HTTP surface shares: decoding
// requests with limits, writing JSON and errors (the one place error codes
// become status codes), content negotiation, client addresses behind trusted
// proxies, and middleware.
package httpx
