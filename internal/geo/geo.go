// Package geo names the approximate place of an IP address from a local
// MaxMind or DB-IP .mmdb file (country or city); it never looks anything up
// over the network.
package geo

import (
	"net/netip"

	"github.com/oschwald/maxminddb-golang/v2"
)

// DB is an opened .mmdb file. The zero of *DB (nil) knows no place.
type DB struct {
	r *maxminddb.Reader
}

// Open opens an .mmdb file.
func Open(path string) (*DB, error) {
	r, err := maxminddb.Open(path)
	if err != nil {
		return nil, err
	}
	return &DB{r: r}, nil
}

// record holds the fields of GeoLite2/DB-IP country and city databases.
type record struct {
	City struct {
		Names map[string]string `maxminddb:"names"`
	} `maxminddb:"city"`
	Country struct {
		Names map[string]string `maxminddb:"names"`
	} `maxminddb:"country"`
}

// Place returns "City, Country", "Country" or "" for ip, in English.
func (d *DB) Place(ip string) string {
	if d == nil {
		return ""
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	var rec record
	if err := d.r.Lookup(a.Unmap()).Decode(&rec); err != nil {
		return ""
	}
	country, city := rec.Country.Names["en"], rec.City.Names["en"]
	switch {
	case city != "" && country != "":
		return city + ", " + country
	}
	return country
}

// Close closes the file.
func (d *DB) Close() error {
	if d == nil {
		return nil
	}
	return d.r.Close()
}
