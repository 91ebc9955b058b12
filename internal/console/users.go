package console

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/internal/ui"
)

// usersPath is the users table.
const usersPath = Prefix + "users"

// pageSizes are the page sizes the users table offers.
var pageSizes = []string{"25", "50", "100"}

// sortOptions are the orders the users table offers; the store whitelists
// the same keys.
var sortOptions = []ui.Option{
	{Value: userdb.SortCreated, Label: "Date created"}, {Value: userdb.SortEmail, Label: "Email"}, {Value: userdb.SortUsername, Label: "Username"},
	{Value: userdb.SortSurname, Label: "Last name"}, {Value: userdb.SortGivenName, Label: "First name"},
}

var statusOptions = []ui.Option{
	{Value: "", Label: "Any status"}, {Value: "PENDING", Label: "Pending"}, {Value: "ENABLED", Label: "Enabled"}, {Value: "DISABLED", Label: "Disabled"}, {Value: "LOCKED", Label: "Locked"},
}

// usersData is the users table page.
type usersData struct {
	Rows        []userRow
	Total       int
	TotalCapped bool   // Total is a floor: the count stopped there
	NextURL     string // the next page; "" on the last
	FirstURL    string // the first page, when showing a later one
	Accounts    []ui.Option
	Roles       []ui.Option
	Statuses    []ui.Option
	Sorts       []ui.Option
	Orders      []ui.Option
	Sizes       []ui.Option
	Filtered    bool
	// Advanced: a filter or order beyond the search is set, so the filters
	// start unfolded.
	Advanced bool
	// SortURL maps a column's sort key to the link that sorts by it (the
	// other way round when it is the current order); SortDir to its
	// aria-sort value for the current order.
	SortURL map[string]string
	SortDir map[string]string
}

type userRow struct {
	*userdb.User
	AccountName string
}

// users shows the users table: search, filters, sort and pages, each a
// query parameter so a page of results can be bookmarked and works
// without JavaScript.
func (c *Console) users(w http.ResponseWriter, r *http.Request, me *admin) {
	q := r.URL.Query()
	v := c.newView(r, me, "users", "users", "Users")
	v.Input = url.Values{}
	for _, k := range []string{"q", "status", "role", "account", "sort", "order", "createdAfter", "createdBefore", "limit"} {
		if s := strings.TrimSpace(q.Get(k)); s != "" {
			v.Input.Set(k, s)
		}
	}
	f := userdb.UserFilter{Query: v.Value("q"), Role: v.Value("role"), Cursor: q.Get("cursor"), Limit: 25}
	d := &usersData{Statuses: statusOptions, Sorts: sortOptions,
		Orders: []ui.Option{{Value: "asc", Label: "Ascending"}, {Value: "desc", Label: "Descending"}}}
	for _, s := range pageSizes {
		d.Sizes = append(d.Sizes, ui.Option{Value: s, Label: s + " per page"})
	}
	if s := v.Value("status"); s != "" {
		st := userdb.Status(strings.ToUpper(s))
		if !st.Valid() {
			v.Invalid("status", msg("bad-status"))
		}
		f.Status = st
	}
	f.Sort = v.Value("sort")
	if f.Sort == "" {
		f.Sort = userdb.SortCreated
	}
	if !slices.ContainsFunc(sortOptions, func(o ui.Option) bool { return o.Value == f.Sort }) {
		v.Invalid("sort", msg("bad-sort"))
	}
	switch v.Value("order") {
	case "", "desc":
		f.Desc = v.Value("order") == "desc" || (v.Value("order") == "" && f.Sort == userdb.SortCreated)
	case "asc":
	default:
		v.Invalid("order", msg("bad-sort"))
	}
	if l := v.Value("limit"); l != "" {
		if !slices.Contains(pageSizes, l) {
			v.Invalid("limit", msg("bad-limit"))
		} else {
			f.Limit, _ = strconv.Atoi(l)
		}
	}
	f.CreatedAfter = v.date("createdAfter", false)
	f.CreatedBefore = v.date("createdBefore", true)
	if me.Super {
		f.AccountID = v.Value("account")
	}
	d.Filtered = f.Query != "" || f.Status != "" || f.Role != "" || f.AccountID != "" || f.CreatedAfter != nil || f.CreatedBefore != nil
	d.Advanced = len(v.Input) > 0 && (len(v.Input) > 1 || v.Value("q") == "")
	if v.Value("order") == "" && len(v.Errors) == 0 {
		// Show the order in effect (newest first by default).
		order := "asc"
		if f.Desc {
			order = "desc"
		}
		v.Input.Set("order", order)
	}

	names, accounts, err := c.accountNames(r, me)
	if err != nil {
		c.fail(w, r, me, err)
		return
	}
	d.Accounts = accounts
	if d.Roles, err = c.roleOptions(r, me, f.AccountID, "Any role"); err != nil && !userdb.IsCode(err, userdb.ENOTFOUND) {
		c.fail(w, r, me, err)
		return
	}
	v.Data = d
	if len(v.Errors) > 0 {
		c.render(w, r, http.StatusBadRequest, v)
		return
	}
	page, err := c.svc.AdminListUsers(r.Context(), f)
	if err != nil {
		if s := ui.FormStatus(err); s >= 500 || s == http.StatusForbidden {
			c.fail(w, r, me, err)
			return
		}
		v.setError(r, err, "q", "status", "role", "account", "sort", "createdAfter", "createdBefore")
		if v.Error != "" && strings.Contains(strings.ToLower(v.Error), "cursor") {
			v.Error = msg("bad-cursor")
		}
		status := ui.FormStatus(err)
		if status == http.StatusNotFound {
			status = http.StatusBadRequest // a filter naming no account is bad input to the form
		}
		c.render(w, r, status, v)
		return
	}
	for _, u := range page.Users {
		d.Rows = append(d.Rows, userRow{User: u, AccountName: names[u.AccountID]})
	}
	d.Total, d.TotalCapped = page.Total, page.TotalCapped
	base := v.Input
	if page.Next != "" {
		d.NextURL = withParams(usersPath, base, "cursor", page.Next)
	}
	if f.Cursor != "" {
		d.FirstURL = withParams(usersPath, base)
	}
	d.SortURL, d.SortDir = map[string]string{}, map[string]string{}
	for _, o := range sortOptions {
		order := "asc"
		if o.Value == f.Sort {
			d.SortDir[o.Value] = "ascending"
			if f.Desc {
				d.SortDir[o.Value] = "descending"
			} else {
				order = "desc"
			}
		}
		d.SortURL[o.Value] = withParams(usersPath, base, "sort", o.Value, "order", order)
	}
	c.render(w, r, http.StatusOK, v)
}

// date reads a YYYY-MM-DD query field as the start of that day (UTC), or
// with endOfDay the start of the next, so "created before" includes the day.
func (v *view) date(name string, endOfDay bool) *time.Time {
	s := v.Value(name)
	if s == "" {
		return nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		v.Invalid(name, msg("bad-date"))
		return nil
	}
	if endOfDay {
		t = t.AddDate(0, 0, 1)
	}
	return &t
}

// withParams returns path with the query base plus pairs of key, value
// (replacing those keys; an empty value drops one).
func withParams(path string, base url.Values, pairs ...string) string {
	q := url.Values{}
	for k, vs := range base {
		q[k] = slices.Clone(vs)
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			q.Del(pairs[i])
		} else {
			q.Set(pairs[i], pairs[i+1])
		}
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// accountNames returns the names of the accounts the administrator sees by
// id, and the choices of an account filter (super-admins only).
func (c *Console) accountNames(r *http.Request, me *admin) (map[string]string, []ui.Option, error) {
	page, err := c.svc.AdminListAccounts(r.Context(), userdb.AccountFilter{Limit: maxAccountChoices})
	if err != nil {
		return nil, nil, err
	}
	list := page.Accounts
	names := make(map[string]string, len(list))
	var opts []ui.Option
	if me.Super {
		opts = append(opts, ui.Option{Value: "", Label: "All accounts"})
	}
	for _, a := range list {
		names[a.ID] = a.Name
		opts = append(opts, ui.Option{Value: a.ID, Label: a.Name})
	}
	if !me.Super {
		opts = nil
	}
	return names, opts, nil
}

// maxAccountChoices bounds the accounts listed in a select.
const maxAccountChoices = 500

// roleOptions returns the roles one may choose in an account ("" is every
// account the administrator reaches), by name, each name once; with
// anyLabel set, the first choice is "" labelled so.
func (c *Console) roleOptions(r *http.Request, me *admin, account, anyLabel string) ([]ui.Option, error) {
	var opts []ui.Option
	if anyLabel != "" {
		opts = append(opts, ui.Option{Value: "", Label: anyLabel})
	}
	roles, err := c.svc.AdminListRoles(r.Context(), userdb.RoleFilter{AccountID: account})
	if err != nil {
		return opts, err
	}
	seen := map[string]bool{}
	names := []string{}
	for _, ro := range roles.Roles {
		if !seen[ro.Name] {
			seen[ro.Name] = true
			names = append(names, ro.Name)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		opts = append(opts, ui.Option{Value: n, Label: n})
	}
	return opts, nil
}

// newUserData is the page to add a user.
type newUserData struct {
	Accounts []ui.Option
	Roles    []ui.Option
}

// newUser shows the form to add a user.
func (c *Console) newUser(w http.ResponseWriter, r *http.Request, me *admin) {
	v := c.newView(r, me, "user_new", "users", "Add a user")
	v.SetValue("mode", "invite")
	v.SetValue("account", userdb.DefaultAccountID)
	c.showNewUser(w, r, me, http.StatusOK, v)
}

func (c *Console) showNewUser(w http.ResponseWriter, r *http.Request, me *admin, status int, v *view) {
	d := &newUserData{}
	var err error
	if me.Super {
		if _, d.Accounts, err = c.accountNames(r, me); err != nil {
			c.fail(w, r, me, err)
			return
		}
		d.Accounts = d.Accounts[1:] // no "all accounts" here
	}
	account := ""
	if me.Super {
		account = v.Value("account")
	}
	if d.Roles, err = c.roleOptions(r, me, account, ""); err != nil && !userdb.IsCode(err, userdb.ENOTFOUND) {
		c.fail(w, r, me, err)
		return
	}
	v.Data = d
	c.render(w, r, status, v)
}

// newUserPost creates a user, by invitation or with a password.
func (c *Console) newUserPost(w http.ResponseWriter, r *http.Request, me *admin) {
	if !c.parseForm(w, r, me) {
		return
	}
	v := c.newView(r, me, "user_new", "users", "Add a user")
	n := service.NewUser{
		Email: ui.FormValue(r, "email"), Username: ui.FormValue(r, "username"),
		GivenName: ui.FormValue(r, "givenName"), Surname: ui.FormValue(r, "surname"),
		Roles: r.PostForm["roles"],
	}
	if me.Super {
		n.Account = ui.FormValue(r, "account")
	}
	if n.Email == "" {
		v.Invalid("email", msg("email-required"))
	}
	switch r.PostFormValue("mode") {
	case "invite":
		n.Invite = true
	case "password":
		n.Password = r.PostFormValue("password")
		n.Verified = r.PostFormValue("verified") == "yes"
		if n.Password == "" {
			v.Invalid("password", msg("password-or-invite"))
		}
	default:
		v.Invalid("mode", msg("password-or-invite"))
	}
	if len(v.Errors) > 0 {
		c.showNewUser(w, r, me, http.StatusBadRequest, v)
		return
	}
	u, err := c.svc.AdminCreateUser(r.Context(), n)
	if err != nil {
		if s := ui.FormStatus(err); s >= 500 {
			c.fail(w, r, me, err)
			return
		}
		if fieldOf(err) == "username" && n.Username == "" {
			// The username defaults to the email: the clash is the email's.
			v.Invalid("email", msg("email-taken"))
		} else {
			v.setError(r, err, "email", "username", "givenName", "surname", "password", "account", "roles")
		}
		c.showNewUser(w, r, me, ui.FormStatus(err), v)
		return
	}
	if n.Invite {
		setFlash(w, r, "user-invited")
	} else {
		setFlash(w, r, "user-created")
	}
	ui.Redirect(w, r, userPath(u.ID))
}

// userPath is a user's page.
func userPath(id string) string { return usersPath + "/" + url.PathEscape(id) }
