package mail

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	netmail "net/mail"
	"os"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLS modes of SMTPConfig.
const (
	TLSNone     = "none"     // plain text; for a relay on localhost or a test server
	TLSStartTLS = "starttls" // upgrade with STARTTLS, required (port 587)
	TLSImplicit = "tls"      // TLS from the first byte (port 465)
)

// SMTPConfig configures the SMTP driver.
type SMTPConfig struct {
	Host string
	Port int // 0: 25, 587 or 465 by TLS mode
	// Username and Password authenticate when Username is set, with the
	// strongest mechanism the server offers.
	Username, Password string
	From               string        // the default sender address
	TLS                string        // TLSNone, TLSStartTLS or TLSImplicit; TLSStartTLS if empty
	Timeout            time.Duration // for connecting and for each SMTP command; 30s if 0
	// CAFile names a PEM file of certificate authorities trusted besides the
	// system's, for a server whose certificate a private CA signed.
	CAFile string
}

// SMTP is a Driver that delivers through an SMTP server, one connection per
// email. It is safe for concurrent use.
type SMTP struct {
	client *gomail.Client
	from   string
}

var _ Driver = (*SMTP)(nil)

// NewSMTP checks cfg and returns an SMTP driver. It does not connect.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	if cfg.Host == "" {
		return nil, errors.New("mail: SMTP host is required")
	}
	if cfg.From != "" {
		if _, err := netmail.ParseAddress(cfg.From); err != nil {
			return nil, fmt.Errorf("mail: SMTP from address %q: %w", cfg.From, err)
		}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	opts := []gomail.Option{gomail.WithTimeout(cfg.Timeout)}
	var port int
	switch cfg.TLS {
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
		port = cmp.Or(cfg.Port, 25)
	case TLSStartTLS, "":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
		port = cmp.Or(cfg.Port, 587)
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
		port = cmp.Or(cfg.Port, 465)
	default:
		return nil, fmt.Errorf("mail: SMTP TLS mode %q: want none, starttls or tls", cfg.TLS)
	}
	opts = append(opts, gomail.WithPort(port))
	if cfg.CAFile != "" {
		if cfg.TLS == TLSNone {
			return nil, errors.New("mail: SMTP CA file given without TLS")
		}
		roots, err := rootsWith(cfg.CAFile)
		if err != nil {
			return nil, err
		}
		opts = append(opts, gomail.WithTLSConfig(&tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12, RootCAs: roots}))
	}
	if cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	c, err := gomail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("mail: SMTP: %w", err)
	}
	return &SMTP{client: c, from: cfg.From}, nil
}

// ReadCAFile reads the certificates of a PEM file of certificate
// authorities: at least one, and none that fails to parse (configuration
// checks the file with it, so what it accepts is what the driver loads).
func ReadCAFile(name string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: certificate %d: %v", name, len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s holds no PEM certificate", name)
	}
	return certs, nil
}

// rootsWith returns the system's certificate authorities and those of the
// PEM file name.
func rootsWith(name string) (*x509.CertPool, error) {
	certs, err := ReadCAFile(name)
	if err != nil {
		return nil, fmt.Errorf("mail: SMTP CA file: %w", err)
	}
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool() // no system pool on this platform: the file's only
	}
	for _, c := range certs {
		roots.AddCert(c)
	}
	return roots, nil
}

// Send delivers m, as multipart/alternative when it has both a text and an
// HTML body. m.From defaults to the configured sender.
//
// A 5xx reply to the mail transaction (MAIL FROM, RCPT TO, DATA) and an
// invalid address are permanent errors. Failing to connect, to start TLS or
// to authenticate, or a 530 (authentication required), is not: it is a fault
// of the server or of our configuration, not of this email, so the email
// waits for it to be fixed.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if m.From == "" {
		m.From = s.from
	}
	msg := gomail.NewMsg()
	if err := msg.From(m.From); err != nil {
		return Permanent(fmt.Errorf("mail: from address: %w", err))
	}
	if err := msg.To(m.To); err != nil {
		return Permanent(fmt.Errorf("mail: to address: %w", err))
	}
	msg.Subject(m.Subject)
	switch {
	case m.Text != "" && m.HTML != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	case m.HTML != "":
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	default:
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	}

	err := s.client.DialAndSendWithContext(ctx, msg)
	if err == nil || msg.IsDelivered() {
		// Delivered: a failure after the server accepted the email (RSET,
		// QUIT) must not make us send it again.
		return nil
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		switch se.Reason {
		case gomail.ErrGetSender, gomail.ErrGetRcpts, gomail.ErrNoUnencoded:
			return Permanent(fmt.Errorf("mail: SMTP: %w", err))
		case gomail.ErrSMTPMailFrom, gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose:
			// 530 is "authentication required" (RFC 4954 section 6): our
			// configuration lacks a login, which is no fault of the email.
			if se.ErrorCode()/100 == 5 && se.ErrorCode() != 530 {
				return Permanent(fmt.Errorf("mail: SMTP: %w", err))
			}
		}
	}
	return fmt.Errorf("mail: SMTP: %w", err)
}
