package service

import "github.com/userdb/userdb"

// SetLoginStage makes every sign-in of s stop at the stage f names ("" for
// none), so the pending sign-in can be tested apart from what decides it.
func SetLoginStage(s *Service, f func(*userdb.User) userdb.PendingStage) { s.stageForTest = f }
