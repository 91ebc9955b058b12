package config

import (
	"slices"
	"testing"
)

func TestUnknownEnv(t *testing.T) {
	got := UnknownEnv([]string{
		"USERDB_SESION_IDLE_TIMEOUT=30m",           // a letter missing
		"USERDB_SESSIONS_IDLE_TIMEOUT=30m",         // right
		"USERDB_SMTP_PASSWORD_FILE=/run/secrets/x", // right, from a file
		"USERDB_TEST_E2E=1",                        // the tests' own
		"USERDB_WHATEVER_THIS_IS=1",                // nothing near
		"PATH=/usr/bin",                            // not ours
	})
	want := []string{
		"USERDB_SESION_IDLE_TIMEOUT is not a setting and is ignored; did you mean USERDB_SESSIONS_IDLE_TIMEOUT?",
		"USERDB_WHATEVER_THIS_IS is not a setting and is ignored",
	}
	if !slices.Equal(got, want) {
		t.Errorf("UnknownEnv:\n got %q\nwant %q", got, want)
	}
}
