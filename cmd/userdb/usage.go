package main

// usage is what `userdb help` prints: every command with its flags.
const usage = `userdb: user management and authentication server

Usage:
  userdb serve [--addr HOST:PORT]              run the server until SIGINT or SIGTERM
  userdb version                               print the version and the commit it was built from
  userdb migrate [up|status]                   apply the pending database migrations, or list them
  userdb config defaults                       print the default configuration file
  userdb config check                          check the configuration, listing every problem

  userdb user add --email E [--username U] [--given-name G] [--middle-name M] [--surname S]
                  [--account A] [--role R]... (--password-stdin | --invite) [--verified]
  userdb user list [--account A] [--status S] [--role R] [--query Q] [--sort KEY] [--desc]
                   [--limit N] [--cursor C]
  userdb user show USER
  userdb user update USER [--email E] [--username U] [--given-name G] [--middle-name M]
                     [--surname S] [--custom-data JSON]
  userdb user disable|enable|unlock|delete USER
  userdb user unlock-all [--all]               unlock users locked longer than lockout.unlock_after (--all: every locked user)
  userdb user reset-password USER (--send-email | --password-stdin [--must-change])
  userdb user reset-mfa USER                   remove every second factor (a lost phone); the user is emailed
  userdb user add-role USER ROLE
  userdb user remove-role USER ROLE

  userdb account add NAME [--description D]
  userdb account list
  userdb account show ACCOUNT
  userdb account update ACCOUNT [--name N] [--description D]
  userdb account disable|enable ACCOUNT
  userdb account delete ACCOUNT [--force]      --force also deletes the account's users

  userdb role add ACCOUNT NAME [--description D]
  userdb role list [--account A]
  userdb role delete ACCOUNT NAME | ROLE-ID

  userdb events [--user USER] [--account ACCOUNT] [--type T] [--limit N]
                                               audit events, newest first

  userdb apikey create NAME [--account A] [--role R]... [--expires-in D]
                                               a key for the admin API; the secret is shown once
  userdb apikey list [--account A]
  userdb apikey revoke KEY-ID

  userdb connector add ID --type T --name N --client-id ID [--client-secret-stdin]
        [--account A] [--issuer URL] [--scope S]... [--claim FIELD=CLAIM]... [--create-users true]
        [--default-role R]... [--domain D]... [--required true] ...
                                               sign-in through another identity provider
  userdb connector list [--account A]
  userdb connector show ID
  userdb connector update ID [same flags as add, only those given change]
  userdb connector delete ID                   also unlinks its users' identities
  userdb client add --name NAME [--account A] [--type confidential|public] [--grant G]...
                    [--scope S]... [--default-scope S]... [--redirect-uri U]... [--post-logout-uri U]...
                    [--auth-method M] [--jwks JSON] [--token-format jwt|opaque] [--first-party true]
                    [--access-token-ttl D] [--id-token-ttl D] [--refresh-token-ttl D]
                                               an OAuth client; its secret is shown once
  userdb client list [--account A]
  userdb client show|rotate-secret|delete CLIENT-ID
  userdb client update CLIENT-ID [flags of add]
  userdb keys rotate                           a new OAuth signing key (old keys stay until their tokens expire)

  userdb import FILE [--account A] [--dry-run] [--invite] [--verify-email] [--existing skip|update]
                                               import users from CSV or XLSX (docs/admin-api.md)
  userdb export [--account A] [--format csv|jsonl] [--hashes] [--out FILE]
                                               every user, as CSV (importable) or JSON lines

  userdb breach import FILE                    turn the published list of breached passwords'
                                               SHA-1s (HASH:COUNT lines) into password.breach.file

  userdb migrate-from userdb-node --from DSN [--dry-run]
                                               import the Node userdb library's database
  userdb migrate-from userdb-node --config FILE [--out FILE]
                                               translate its configuration to userdb YAML

USER is a user id, username or email; ACCOUNT an account id or name.

Every command takes --config FILE (YAML) and --db DSN (sqlite:PATH, postgres://...,
mysql://...; overrides database.dsn). Settings also come from USERDB_* environment
variables: USERDB_ and the key path in capitals, such as USERDB_LOG_LEVEL; flags win over
variables, which win over the file. Commands that print users, accounts, roles or events
take --json. Passwords are read from standard input only, never from flags.
"userdb COMMAND -h" lists a command's flags.

Emails a command queues (invitations, password resets) are sent by the running server.
CLI actions are recorded in the audit log with the actor "cli".

Exit codes: 0 ok, 1 failure, 2 usage error.
`
