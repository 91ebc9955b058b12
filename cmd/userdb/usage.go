package main

const usage = `userdb: user management and authentication server

Usage:
  userdb serve [--addr HOST:PORT]              run the server
  userdb migrate [up|status]                   apply or list database migrations
  userdb config defaults                       print the default configuration file
  userdb config check                          check the configuration, listing every problem

  userdb user add --email E [--username U] [--given-name G] [--surname S] [--account A]
                  [--role R]... (--password-stdin | --invite) [--verified]
  userdb user list [--account A] [--status S] [--role R] [--query Q] [--sort KEY] [--desc]
                   [--limit N] [--cursor C]
  userdb user show USER
  userdb user update USER [--email E] [--username U] [--given-name G] [--middle-name M]
                     [--surname S] [--custom-data JSON]
  userdb user disable|enable|unlock|delete USER
  userdb user unlock-all
  userdb user reset-password USER (--send-email | --password-stdin [--must-change])
  userdb user add-role USER ROLE
  userdb user remove-role USER ROLE

  userdb account add NAME [--description D]
  userdb account list
  userdb account show ACCOUNT
  userdb account update ACCOUNT [--name N] [--description D]
  userdb account disable|enable ACCOUNT
  userdb account delete ACCOUNT [--force]

  userdb role add ACCOUNT NAME [--description D]
  userdb role list [--account A]
  userdb role delete ACCOUNT NAME

  userdb events [--user USER] [--account ACCOUNT] [--type T] [--limit N]

USER is a user id, username or email; ACCOUNT an account id or name.
Every command takes --config FILE and --db DSN (sqlite:PATH, postgres://..., mysql://...);
list and show commands take --json. Settings also come from USERDB_* environment variables.
Exit codes: 0 ok, 1 failure, 2 usage error.
`
