module github.com/userdb/userdb

go 1.26.8
