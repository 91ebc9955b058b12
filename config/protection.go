package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Protection configures what stands in front of the workflows: request rate
// limits, the device cookie and new-device notices, and the location lookup.
type Protection struct {
	RateLimits RateLimits `yaml:"rate_limits"`
	Devices    Devices    `yaml:"devices"`
	// GeoIPFile is a MaxMind/DB-IP .mmdb file (country or city) used to name
	// the approximate place of a sign-in in new-device notices.
	GeoIPFile string `yaml:"geoip_file"`
}

// RateLimits are the limits of requests; each is a Rate such as "10/1m".
type RateLimits struct {
	Enabled             bool `yaml:"enabled"`
	LoginPerIP          Rate `yaml:"login_per_ip"`
	LoginPerName        Rate `yaml:"login_per_name"`
	LoginFailuresPerIP  Rate `yaml:"login_failures_per_ip"`
	KnownDeviceFailures Rate `yaml:"known_device_failures"`
	RegisterPerIP       Rate `yaml:"register_per_ip"`
	ForgotPerIP         Rate `yaml:"forgot_per_ip"`
	VerifyPerIP         Rate `yaml:"verify_per_ip"`
	EmailsPerAddress    Rate `yaml:"emails_per_address"`
	PasswordPerUser     Rate `yaml:"password_per_user"`
	AdminAPIPerKey      Rate `yaml:"admin_api_per_key"`
	TokenPerClient      Rate `yaml:"token_per_client"`
}

// Devices configures the device cookie and the notices of sign-ins from
// devices not seen before.
type Devices struct {
	CookieName string        `yaml:"cookie_name"`
	Lifetime   time.Duration `yaml:"lifetime"`
	Notify     bool          `yaml:"notify"`
}

// Breach configures the check of new passwords against known breaches.
type Breach struct {
	MinCount int           `yaml:"min_count"`
	APIURL   string        `yaml:"api_url"`
	Timeout  time.Duration `yaml:"timeout"`
	CacheTTL time.Duration `yaml:"cache_ttl"`
	FailOpen bool          `yaml:"fail_open"`
	File     string        `yaml:"file"`
	AtSignIn bool          `yaml:"at_sign_in"`
}

// Rate is a limit written as COUNT/PERIOD, e.g. 10/1m or 5/1h; "off" or ""
// for none.
type Rate string

// Parse returns the count and period of r; a count of 0 means off.
func (r Rate) Parse() (int, time.Duration, error) {
	s := strings.TrimSpace(string(r))
	if s == "" || s == "off" {
		return 0, 0, nil
	}
	n, per, ok := strings.Cut(s, "/")
	count, err := strconv.Atoi(n)
	if !ok || err != nil || count <= 0 {
		return 0, 0, fmt.Errorf("must be a count and a period such as 10/1m, or off")
	}
	d, err := ParseDuration(per)
	if err != nil || d <= 0 {
		return 0, 0, fmt.Errorf("must be a count and a period such as 10/1m, or off")
	}
	return count, d, nil
}

func defaultProtection() Protection {
	return Protection{
		RateLimits: RateLimits{
			Enabled:             true,
			LoginPerIP:          "60/1m",
			LoginPerName:        "20/10m",
			LoginFailuresPerIP:  "50/1h",
			KnownDeviceFailures: "10/15m",
			RegisterPerIP:       "10/1h",
			ForgotPerIP:         "20/1h",
			VerifyPerIP:         "20/1h",
			EmailsPerAddress:    "5/1h",
			PasswordPerUser:     "5/15m",
			AdminAPIPerKey:      "600/1m",
			TokenPerClient:      "300/1m",
		},
		Devices: Devices{CookieName: "userdb_device", Lifetime: 365 * day, Notify: true},
	}
}

func defaultBreach() Breach {
	return Breach{
		MinCount: 1, APIURL: "https://api.pwnedpasswords.com", Timeout: 2 * time.Second,
		CacheTTL: time.Hour, FailOpen: true,
	}
}

func (c *Config) validateProtection(p *Problems) {
	rl := c.Protection.RateLimits
	for key, r := range map[string]Rate{
		"login_per_ip": rl.LoginPerIP, "login_per_name": rl.LoginPerName,
		"login_failures_per_ip": rl.LoginFailuresPerIP, "known_device_failures": rl.KnownDeviceFailures,
		"register_per_ip": rl.RegisterPerIP, "forgot_per_ip": rl.ForgotPerIP, "verify_per_ip": rl.VerifyPerIP,
		"emails_per_address": rl.EmailsPerAddress, "password_per_user": rl.PasswordPerUser,
		"admin_api_per_key": rl.AdminAPIPerKey, "token_per_client": rl.TokenPerClient,
	} {
		if _, _, err := r.Parse(); err != nil {
			p.add("protection.rate_limits."+key, "%v", err)
		}
	}
	d := c.Protection.Devices
	if !validCookieName(d.CookieName) {
		p.add("protection.devices.cookie_name", "must be a cookie name (letters, digits and !#$%%&'*+-.^_`|~)")
	} else if d.CookieName == c.Sessions.CookieName {
		p.add("protection.devices.cookie_name", "must differ from sessions.cookie_name")
	}
	positive(p, "protection.devices.lifetime", int64(d.Lifetime))

	pw := c.Password
	oneOf(p, "password.breach_check", pw.BreachCheck, "off", "warn", "block")
	atLeast(p, "password.breach.min_count", pw.Breach.MinCount, 1)
	if pw.Breach.File == "" {
		absoluteURL(p, "password.breach.api_url", pw.Breach.APIURL)
		if pw.BreachCheck != "off" && pw.Breach.APIURL == "" {
			p.add("password.breach.api_url", "must be set unless password.breach.file is")
		}
	}
	positive(p, "password.breach.timeout", int64(pw.Breach.Timeout))
	for i, w := range pw.ExpiryWarning {
		if w <= 0 {
			p.add(fmt.Sprintf("password.expiry_warning[%d]", i), "must be more than zero")
		}
	}
	cd := c.CustomData
	atLeast(p, "custom_data.max_depth", cd.MaxDepth, 1)
	atLeast(p, "custom_data.max_keys", cd.MaxKeys, 1)
	positive(p, "custom_data.max_size", int64(cd.MaxSize))
	if cd.MaxSize > 64*KiB { // userdb.MaxCustomDataLen, the ceiling of every stored custom data
		p.add("custom_data.max_size", "must be at most 64KiB")
	}
}
