// namesonce reads ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_SECURITY_TOKEN
// and OSS_ACCESS_KEY_ID once, at start, with os.Getenv (Go's copy of the
// environment it was started with), as Go tools do, and prints
// "id=<value or (unset)> oss=<value or (unset)> token=<set|unset>".  Ids are
// test ids and may be printed; the token never is.  Standard library only.
package main

import (
	"fmt"
	"os"
)

func orUnset(name string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return "(unset)"
}

func main() {
	id := orUnset("ALIBABA_CLOUD_ACCESS_KEY_ID")
	oss := orUnset("OSS_ACCESS_KEY_ID")
	token := "unset"
	if _, ok := os.LookupEnv("ALIBABA_CLOUD_SECURITY_TOKEN"); ok {
		token = "set"
	}
	fmt.Printf("id=%s oss=%s token=%s\n", id, oss, token)
}
