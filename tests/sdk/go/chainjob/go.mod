module example.com/chainjob

go 1.19

require github.com/aliyun/credentials-go v0.0.0

replace github.com/aliyun/credentials-go => ../credentials-go
