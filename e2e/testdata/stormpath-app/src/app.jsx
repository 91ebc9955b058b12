// A single-page app written the way react-stormpath 2.x's documentation and
// example app (stormpath-express-react-example) wrote them, run against
// userdb by e2e/browser_stormpath_test.go. Nothing here knows about userdb:
// the endpoints are react-stormpath's defaults (/login, /me, /forgot,
// /logout ...) and the session is userdb's cookie.
import React from 'react';
import ReactDOM from 'react-dom';
import PropTypes from 'prop-types';
import { Route, IndexRoute, Link, hashHistory } from 'react-router';
import ReactStormpath, {
  Router, HomeRoute, LoginRoute, AuthenticatedRoute,
  Authenticated, NotAuthenticated, LoginLink, LogoutLink,
  LoginForm, RegistrationForm, ResetPasswordForm, ChangePasswordForm,
} from 'react-stormpath';

ReactStormpath.init();

// MasterPage is the frame of every page: the signed-in state and links.
function MasterPage(props) {
  return (
    <div>
      <nav>
        <NotAuthenticated>
          <p id="state">Signed out. <LoginLink>Log in</LoginLink> <Link to="/register">Register</Link></p>
        </NotAuthenticated>
        <Authenticated>
          <p id="state">Signed in. <Link to="/profile">Profile</Link> <LogoutLink>Log out</LogoutLink></p>
        </Authenticated>
      </nav>
      <main>{props.children}</main>
    </div>
  );
}

function IndexPage() {
  return <h1>Welcome</h1>;
}

function LoginPage() {
  return (
    <div>
      <h1>Log in</h1>
      <LoginForm />
    </div>
  );
}

function RegistrationPage() {
  return (
    <div>
      <h1>Create an account</h1>
      <RegistrationForm />
    </div>
  );
}

function ForgotPage() {
  return (
    <div>
      <h1>Forgot your password?</h1>
      <ResetPasswordForm />
    </div>
  );
}

// ChangePage sets a new password with the sptoken of a reset email's link.
function ChangePage(props) {
  return (
    <div>
      <h1>Choose a new password</h1>
      <ChangePasswordForm spToken={props.location.query.sptoken} />
    </div>
  );
}

// ProfilePage shows the user react-stormpath fetched from GET /me, through
// its user context, including the stormpath transformer's href and groups.
class ProfilePage extends React.Component {
  render() {
    const user = this.context.user || {};
    const groups = (user.groups && user.groups.items) || [];
    return (
      <div>
        <h1 id="name">{user.fullName}</h1>
        <dl>
          <dt>Email</dt><dd id="email">{user.email}</dd>
          <dt>Status</dt><dd id="status">{user.status}</dd>
          <dt>Href</dt><dd id="href">{user.href}</dd>
          <dt>Groups</dt><dd id="groups">{groups.map((g) => g.name).join(', ')}</dd>
        </dl>
        <p><Link to="/forgot">Reset my password</Link></p>
      </div>
    );
  }
}
ProfilePage.contextTypes = { user: PropTypes.object };

ReactDOM.render(
  <Router history={hashHistory}>
    <HomeRoute path="/" component={MasterPage}>
      <IndexRoute component={IndexPage} />
      <LoginRoute path="/login" component={LoginPage} />
      <Route path="/register" component={RegistrationPage} />
      <Route path="/forgot" component={ForgotPage} />
      <Route path="/change" component={ChangePage} />
      <AuthenticatedRoute>
        <HomeRoute path="/profile" component={ProfilePage} />
      </AuthenticatedRoute>
    </HomeRoute>
  </Router>,
  document.getElementById('app'),
);
