// Package password hashes and verifies passwords (argon2id, with bcrypt,
// scrypt and PBKDF2 accepted from imported users) in a bounded worker pool,
// and checks new passwords against the configured policy.
package password
