-- The original schema (database-drivers/knex.sql of userdb@1.0.13) ported to
-- PostgreSQL as knex's schema builder would create it: camelCase columns
-- quoted. The MySQL triggers, which fill created_date and updated_date, are
-- left out: the tests set every date they need. So are the foreign keys, as
-- in a copy of the tables made without them, so the tests can hold rows
-- pointing nowhere.

create table accounts (
  id           varchar(14) primary key,
  description  varchar(512),
  name         varchar(32) not NULL,
  status       varchar(14) default 'ENABLED',
  "customData" text,
  created_date integer NULL,
  updated_date integer NULL
);

create table users (
  id           varchar(14) primary key,
  account_id   varchar(14) not null,
  "givenName"  varchar(64),
  "middleName" varchar(64),
  surname      varchar(64),
  username     varchar(64),
  "fullName"   varchar(256),
  email        varchar(128),
  password     varchar(512) not NULL,
  password_updated_on integer default 0,
  last_login_on integer default 0,
  last_failed_login_on integer default 0,
  failed_login_count integer default 0,
  "emailVerificationToken" varchar(512),
  status       varchar(14) default 'PENDING',
  "customData" text,
  created_date integer NULL,
  updated_date integer NULL
);
create index idx_users_1 on users (email);
create index idx_users_2 on users (email, status);

create table roles (
  id           varchar(14) primary key,
  account_id   varchar(14) not null,
  description  varchar(512),
  name         varchar(32) not NULL,
  status       varchar(14) default 'ENABLED',
  "customData" text,
  created_date integer NULL,
  updated_date integer NULL
);

create table users_roles (
  user_id varchar(14) not NULL,
  role_id varchar(14) not NULL,
  primary key (user_id, role_id)
);

create table old_passwords (
  user_id  varchar(14) not NULL,
  password varchar(512) not NULL,
  created_date integer NULL
);
create index idx_old_passwords_1 on old_passwords (user_id, created_date);
