package mailtest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Cert is a certificate authority made for one test and a server
// certificate it signed for 127.0.0.1, ::1 and localhost, written as PEM
// files. Nothing trusts the authority but a client told to.
type Cert struct {
	CAFile   string // the authority's certificate, for a client to trust
	CertFile string // the server's certificate
	KeyFile  string // the server's private key
	// Server is a TLS configuration serving the certificate.
	Server *tls.Config
}

// NewCert makes a certificate authority and a server certificate in a
// temporary directory of the test.
func NewCert(tb testing.TB) *Cert {
	tb.Helper()
	dir := tb.TempDir()
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mailtest CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		tb.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		tb.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}, DNSNames: []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		tb.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	c := &Cert{
		CAFile:   filepath.Join(dir, "ca.pem"),
		CertFile: filepath.Join(dir, "cert.pem"),
		KeyFile:  filepath.Join(dir, "key.pem"),
	}
	write := func(name, typ string, b []byte, mode os.FileMode) {
		if err := os.WriteFile(name, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), mode); err != nil {
			tb.Fatal(err)
		}
	}
	write(c.CAFile, "CERTIFICATE", caDER, 0o644)
	write(c.CertFile, "CERTIFICATE", der, 0o644)
	write(c.KeyFile, "PRIVATE KEY", keyDER, 0o600)
	pair, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	if err != nil {
		tb.Fatal(err)
	}
	c.Server = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	return c
}

// StartTLSOptions configure a StartTLS front.
type StartTLSOptions struct {
	// AuthMechanisms, if set, replaces the mechanisms MailDev offers in its
	// AUTH extension (PLAIN and LOGIN), so that a test can make a client use
	// one of them.
	AuthMechanisms []string
}

// StartTLS is an SMTP front for MailDev that offers STARTTLS, which MailDev 3
// cannot (it always hides the extension). It answers the greeting and EHLO
// itself, offering only STARTTLS; once the client has upgraded, it relays
// the session over plain TCP to MailDev, whose own greeting it swallows, so
// that the client's second EHLO and everything after it reach MailDev.
type StartTLS struct {
	ln   net.Listener
	md   *MailDev
	cert *Cert
	opts StartTLSOptions

	mu       sync.Mutex
	upgrades int
	mechs    []string
	wg       sync.WaitGroup
}

// NewStartTLS starts a front for md serving cert on a loopback port, until
// the test ends.
func NewStartTLS(tb testing.TB, md *MailDev, cert *Cert, opts StartTLSOptions) *StartTLS {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	f := &StartTLS{ln: ln, md: md, cert: cert, opts: opts}
	f.wg.Add(1)
	go f.serve()
	tb.Cleanup(func() {
		ln.Close()
		f.wg.Wait()
	})
	return f
}

// Host returns the host the front listens on.
func (f *StartTLS) Host() string { return "127.0.0.1" }

// Port returns the port the front listens on.
func (f *StartTLS) Port() int { return f.ln.Addr().(*net.TCPAddr).Port }

// Upgrades returns how many sessions completed the TLS handshake.
func (f *StartTLS) Upgrades() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.upgrades
}

// AuthMechanisms returns the mechanisms clients authenticated with (their
// AUTH commands), in order.
func (f *StartTLS) AuthMechanisms() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.mechs...)
}

func (f *StartTLS) serve() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer c.Close()
			f.session(c)
		}()
	}
}

// session speaks SMTP up to STARTTLS, then relays to MailDev.
func (f *StartTLS) session(c net.Conn) {
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	reply := func(s string) bool { _, err := io.WriteString(c, s+"\r\n"); return err == nil }
	if !reply("220 mailtest ESMTP front") {
		return
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		verb := strings.ToUpper(strings.Fields(line + " x")[0])
		switch verb {
		case "EHLO":
			reply("250-mailtest\r\n250 STARTTLS")
		case "HELO", "NOOP", "RSET":
			reply("250 OK")
		case "QUIT":
			reply("221 Bye")
			return
		case "STARTTLS":
			if !reply("220 Ready to start TLS") {
				return
			}
			f.relay(tls.Server(c, f.cert.Server))
			return
		default:
			reply("530 5.7.0 Must issue a STARTTLS command first")
		}
	}
}

func (f *StartTLS) relay(tc *tls.Conn) {
	if err := tc.Handshake(); err != nil {
		return
	}
	f.mu.Lock()
	f.upgrades++
	f.mu.Unlock()
	up, err := net.DialTimeout("tcp", net.JoinHostPort(f.md.SMTPHost(), strconv.Itoa(f.md.SMTPPort())), 5*time.Second)
	if err != nil {
		io.WriteString(tc, "421 4.3.0 MailDev is not answering\r\n")
		return
	}
	defer up.Close()
	up.SetDeadline(time.Now().Add(30 * time.Second))
	upr := bufio.NewReader(up)
	for { // MailDev's greeting: the client had ours
		line, err := upr.ReadString('\n')
		if err != nil {
			return
		}
		if len(line) < 4 || line[3] != '-' {
			break
		}
	}
	done := make(chan struct{})
	go func() { // client to MailDev, noting AUTH commands
		defer close(done)
		cr := bufio.NewReader(tc)
		for {
			line, err := cr.ReadString('\n')
			if fields := strings.Fields(line); len(fields) > 1 && strings.EqualFold(fields[0], "AUTH") {
				f.mu.Lock()
				f.mechs = append(f.mechs, strings.ToUpper(fields[1]))
				f.mu.Unlock()
			}
			if _, werr := io.WriteString(up, line); werr != nil || err != nil {
				up.(*net.TCPConn).CloseWrite()
				return
			}
		}
	}()
	for { // MailDev to client, with the AUTH extension rewritten if asked
		line, err := upr.ReadString('\n')
		if len(f.opts.AuthMechanisms) > 0 && len(line) > 9 && strings.HasPrefix(line[4:], "AUTH ") && line[:3] == "250" {
			line = line[:4] + "AUTH " + strings.Join(f.opts.AuthMechanisms, " ") + "\r\n"
		}
		if _, werr := io.WriteString(tc, line); werr != nil || err != nil {
			break
		}
	}
	tc.Close()
	<-done
}
