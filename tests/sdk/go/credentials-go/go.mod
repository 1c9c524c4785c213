module github.com/aliyun/credentials-go

go 1.19
