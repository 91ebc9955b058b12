package userdb_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/userdb/userdb"
)

// Every error of userdb carries one of a closed set of codes; a caller
// branches on the code and shows the message.
func ExampleErrorCode() {
	err := fmt.Errorf("saving: %w", userdb.FieldError("email", "email is required"))
	fmt.Println(userdb.ErrorCode(err), userdb.IsCode(err, userdb.EINVALID))
	fmt.Println(userdb.ErrorMessage(err))
	fmt.Println(userdb.ErrorCode(errors.New("disk full")), userdb.ErrorMessage(errors.New("disk full")))
	// Output:
	// invalid true
	// email is required
	// internal An internal error occurred.
}

// Normalize derives what the original library derived: the username from
// the email, the name parts from the full name.
func ExampleUser_Normalize() {
	u := &userdb.User{Email: " ann@example.com ", FullName: "Ann Mary Smith"}
	u.Normalize()
	fmt.Printf("%s | %s | %s | %s\n", u.Username, u.GivenName, u.MiddleName, u.Surname)
	// Output: ann@example.com | Ann | Mary | Smith
}

// An update's nil fields leave the user as it is.
func ExampleUserUpdate_Apply() {
	u := &userdb.User{GivenName: "Ann", Surname: "Smith", Status: userdb.StatusEnabled}
	surname := "Jones"
	up := userdb.UserUpdate{Surname: &surname}
	up.Apply(u)
	fmt.Println(u.FullName, u.Status)
	// Output: Ann Jones ENABLED
}

// smsGateway is a program's own mail driver.
type smsGateway struct{ sent []string }

func (g *smsGateway) Send(ctx context.Context, m userdb.MailMessage) error {
	if m.To == "" {
		// Retrying cannot fix this: the outbox gives up on the email.
		return userdb.PermanentMailError(errors.New("no address"))
	}
	g.sent = append(g.sent, m.To+": "+m.Subject)
	return nil
}

func ExampleMailDriver() {
	var d userdb.MailDriver = &smsGateway{}
	err := d.Send(context.Background(), userdb.MailMessage{Subject: "Hello"})
	fmt.Println(userdb.IsPermanentMailError(err))
	err = d.Send(context.Background(), userdb.MailMessage{To: "ann@example.com", Subject: "Hello"})
	fmt.Println(err, d.(*smsGateway).sent)
	// Output:
	// true
	// <nil> [ann@example.com: Hello]
}
