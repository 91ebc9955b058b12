package service

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/userdb/userdb"
)

// Custom-data attributes come from two places: the configuration
// (custom_data.schema), fixed while the server runs, and the store, where
// administrators define more at run time (Okta's profile editor). The
// schema that checks custom data is both, the configuration winning a
// name both declare; each node reads the stored ones at most once per
// SessionCacheTTL, and at once after a change it made itself.

// schemaCache keeps the schema of the configured and the stored attributes.
type schemaCache struct {
	mu       sync.Mutex
	schema   ProfileSchema
	defined  []*userdb.ProfileAttribute
	loadedAt time.Time
	loaded   bool
}

// profileSchema returns the schema custom data is checked against; nil
// when the service has no profile source.
func (s *Service) profileSchema(ctx context.Context) (ProfileSchema, error) {
	sc, _, err := s.loadSchema(ctx)
	return sc, err
}

// loadSchema returns the schema and the stored attributes it holds.
func (s *Service) loadSchema(ctx context.Context) (ProfileSchema, []*userdb.ProfileAttribute, error) {
	if s.profile == nil {
		return nil, nil, nil
	}
	now := s.clock.Now()
	c := &s.schema
	c.mu.Lock()
	if c.loaded && now.Sub(c.loadedAt) < s.opts.SessionCacheTTL {
		defer c.mu.Unlock()
		return c.schema, c.defined, nil
	}
	c.mu.Unlock()
	defined, err := s.store.FindProfileAttributes(ctx)
	if err != nil {
		return nil, nil, err
	}
	schema := s.profile.With(defined)
	c.mu.Lock()
	c.schema, c.defined, c.loadedAt, c.loaded = schema, defined, now, true
	c.mu.Unlock()
	return schema, defined, nil
}

func (c *schemaCache) forget() {
	c.mu.Lock()
	c.loaded = false
	c.mu.Unlock()
}

// ProfileAttributes are the declared custom-data attributes by origin.
type ProfileAttributes struct {
	// Configured come from custom_data.schema and cannot be changed here.
	Configured []userdb.ProfileAttribute
	// Defined were defined at run time, ordered by name; one the
	// configuration also declares is not among them.
	Defined []*userdb.ProfileAttribute
}

// AdminProfileAttributes lists the declared attributes; every
// administrator may read them.
func (s *Service) AdminProfileAttributes(ctx context.Context) (*ProfileAttributes, error) {
	if _, err := s.adminScope(ctx, "profile.read"); err != nil {
		return nil, err
	}
	return s.profileAttributes(ctx)
}

func (s *Service) profileAttributes(ctx context.Context) (*ProfileAttributes, error) {
	out := &ProfileAttributes{Defined: []*userdb.ProfileAttribute{}}
	if s.profile == nil {
		return out, nil
	}
	out.Configured = s.profile.Configured()
	_, defined, err := s.loadSchema(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range defined {
		if !slices.ContainsFunc(out.Configured, func(a userdb.ProfileAttribute) bool { return a.Name == d.Name }) {
			out.Defined = append(out.Defined, d)
		}
	}
	return out, nil
}

// AdminDefineProfileAttributes defines attributes (replacing a defined one
// of the same name) and removes defined ones, all in one transaction. The
// schema holds for every account, as the configuration's does, so only
// super-admins change it. Attributes of the configuration can be neither
// redefined nor removed. Users' stored values are left as they are: a
// removed attribute's values stay in their custom data.
func (s *Service) AdminDefineProfileAttributes(ctx context.Context, set []*userdb.ProfileAttribute, remove []string) (*ProfileAttributes, error) {
	const action = "profile.define"
	sc, err := s.adminScope(ctx, action)
	if err != nil {
		return nil, err
	}
	if err := s.requireSuper(ctx, sc, action, target{accountID: sc.account}); err != nil {
		return nil, err
	}
	if s.profile == nil {
		return nil, userdb.Errorf(userdb.EINVALID, "This server checks no custom attributes.")
	}
	configured := s.profile.Configured()
	isConfigured := func(name string) bool {
		return slices.ContainsFunc(configured, func(a userdb.ProfileAttribute) bool { return a.Name == name })
	}
	seen := map[string]bool{}
	now := s.clock.Now()
	for _, a := range set {
		a.Name = strings.TrimSpace(a.Name)
		if err := s.profile.CheckDefined(a); err != nil {
			return nil, err
		}
		if isConfigured(a.Name) {
			return nil, &userdb.Error{Code: userdb.EINVALID, Field: "attributes." + a.Name,
				Message: a.Name + " is declared in the configuration and cannot be changed here."}
		}
		if seen[a.Name] {
			return nil, &userdb.Error{Code: userdb.EINVALID, Field: "attributes." + a.Name, Message: a.Name + " is given twice."}
		}
		seen[a.Name] = true
		a.CreatedAt, a.UpdatedAt = now, now
	}
	for _, name := range remove {
		if isConfigured(name) {
			return nil, &userdb.Error{Code: userdb.EINVALID, Field: "attributes." + name,
				Message: name + " is declared in the configuration and cannot be removed here."}
		}
		if seen[name] {
			return nil, &userdb.Error{Code: userdb.EINVALID, Field: "attributes." + name, Message: name + " is given twice."}
		}
		seen[name] = true
	}
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		for _, a := range set {
			if err := tx.SaveProfileAttribute(ctx, a); err != nil {
				return err
			}
		}
		for _, name := range remove {
			err := tx.DeleteProfileAttribute(ctx, name)
			if userdb.IsCode(err, userdb.ENOTFOUND) {
				return &userdb.Error{Code: userdb.EINVALID, Field: "attributes." + name, Message: "No attribute named " + quote(name) + " is defined."}
			} else if err != nil {
				return err
			}
		}
		names := make([]string, 0, len(set))
		for _, a := range set {
			names = append(names, a.Name)
		}
		return s.record(ctx, tx, "profile.attributes_changed", nil, map[string]any{"defined": names, "removed": remove})
	})
	s.schema.forget()
	if err != nil {
		return nil, err
	}
	return s.profileAttributes(ctx)
}
