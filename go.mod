module github.com/gocli/gocli

go 1.26
