module example.com/namesonce

go 1.19
