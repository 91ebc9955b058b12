package mail

import (
	"strings"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	s := NewSender(nil, nil, SenderOptions{Backoff: time.Second, MaxBackoff: time.Minute})
	tests := []struct {
		attempts int
		want     time.Duration
	}{
		{1, time.Second},
		{2, 2 * time.Second},
		{3, 4 * time.Second},
		{6, 32 * time.Second},
		{7, time.Minute},
		{1000, time.Minute}, // no overflow
	}
	for _, tt := range tests {
		for range 20 {
			if got := s.backoff(tt.attempts); got < tt.want || got > tt.want+tt.want/10 {
				t.Errorf("backoff(%d) = %v; want %v plus up to 10%%", tt.attempts, got, tt.want)
			}
		}
	}
}

func TestTruncate(t *testing.T) {
	s := strings.Repeat("é", 10) // 2 bytes each
	if got := truncate(s, 5); got != "éé" {
		t.Errorf("truncate = %q; want %q", got, "éé")
	}
	if got := truncate("short", 10); got != "short" {
		t.Errorf("truncate = %q", got)
	}
}
