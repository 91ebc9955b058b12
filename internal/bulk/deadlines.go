package bulk

import (
	"net/http"
	"time"
)

// The speeds import deadlines assume. The http.Server's ReadTimeout and
// WriteTimeout (30 s and 60 s) suit every other request, but a 25 MB
// spreadsheet takes longer to arrive on a slow link, and its ~500,000 rows
// take minutes to import (about 3,000 rows/s on two cores with SQLite), so
// the report would be lost to a closed connection.
const (
	// uploadSpeed is the slowest upload still waited for: 64 KiB/s, so a
	// 25 MiB file may take 400 s.
	uploadSpeed = 64 << 10
	// importSpeed is the slowest import still waited for, in bytes of file
	// per second: 8 KiB/s, some 150 rows of 50 bytes, a tenth of the
	// measured speed of rows without passwords (rows with plain-text
	// passwords are hashed one by one, and huge files of them are for
	// `userdb import`, which has no deadline).
	importSpeed = 8 << 10
	// deadlineSlack is added to both, for small files and busy servers.
	deadlineSlack = time.Minute
)

// extendDeadlines gives an import request the time it needs, in place of
// the server's read and write timeouts: with size -1, before the upload is
// read, as long as maxUpload bytes take at uploadSpeed; with the size of
// the spooled file, for the answer, as long as importing that many bytes
// takes at importSpeed. Writers without deadlines (tests' recorders) are
// left as they are.
func extendDeadlines(w http.ResponseWriter, maxUpload, size int64) {
	rc := http.NewResponseController(w)
	now := time.Now()
	if size < 0 {
		read := now.Add(deadlineSlack + transfer(maxUpload, uploadSpeed))
		_ = rc.SetReadDeadline(read)
		// A refused upload is answered after it has been read.
		_ = rc.SetWriteDeadline(read.Add(deadlineSlack))
		return
	}
	_ = rc.SetWriteDeadline(now.Add(deadlineSlack + transfer(size, importSpeed)))
}

// transfer is the time n bytes take at speed bytes/s, in whole seconds
// (without overflow for any configured limit).
func transfer(n, speed int64) time.Duration {
	return time.Duration(min(n/speed+1, 1<<32)) * time.Second
}
