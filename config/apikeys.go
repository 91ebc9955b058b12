package config

import "time"

// APIKeys sets when API keys expire (ASVS 2.10.1): service credentials that
// never expire outlive the service, and the people, that held them.
type APIKeys struct {
	// InactivityExpiry: a key unused this long stops working (Okta's API
	// tokens: 30 days); 0 = never.
	InactivityExpiry time.Duration `yaml:"inactivity_expiry"`
	// MaxLifetime bounds a new key's expiresAt, and is its expiry when none
	// is given; 0 = keys may live until revoked.
	MaxLifetime time.Duration `yaml:"max_lifetime"`
	// ExpiryWarning: this long before either expiry the key's creator is
	// emailed, once; 0 = no warning.
	ExpiryWarning time.Duration `yaml:"expiry_warning"`
}

func defaultAPIKeys() APIKeys {
	return APIKeys{InactivityExpiry: 30 * day, ExpiryWarning: 7 * day}
}

func (c *Config) validateAPIKeys(p *Problems) {
	k := &c.APIKeys
	if k.InactivityExpiry > 0 && k.InactivityExpiry < time.Hour {
		p.add("api_keys.inactivity_expiry", "must be at least 1h (or 0 for never): a key's use is recorded at most once a minute")
	}
	if k.ExpiryWarning > 0 && k.InactivityExpiry > 0 && k.ExpiryWarning >= k.InactivityExpiry {
		p.add("api_keys.expiry_warning", "must be shorter than api_keys.inactivity_expiry (%s)", k.InactivityExpiry)
	}
}
