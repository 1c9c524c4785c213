// chainjob calls the credentials SDK's default chain
// (credentials.NewCredential(nil), one credential, GetCredential every
// INTERVAL_MS for SECONDS), as long-running job code does, then asks the
// fake server (tests/fakests.py) when each credential it got expires.  It
// prints one line, the same as the Java ChainJob:
//
//	calls=N expired=N generations=N provider=NAME errors=N ecs_disabled=VALUE uri=SET|UNSET
//
// usage: chainjob SERVER_PORT SECONDS [INTERVAL_MS]
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/aliyun/credentials-go/credentials"
)

type call struct {
	ms       int64
	id       string
	provider string
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: chainjob SERVER_PORT SECONDS [INTERVAL_MS]")
	os.Exit(2)
}

func nowMs() int64 { return time.Now().UnixNano() / 1e6 }

func main() {
	if len(os.Args) < 3 || len(os.Args) > 4 {
		usage()
	}
	port, err := strconv.Atoi(os.Args[1])
	if err != nil || port <= 0 || port > 65535 {
		usage()
	}
	seconds, err := strconv.ParseFloat(os.Args[2], 64)
	if err != nil || seconds < 0 {
		usage()
	}
	interval := 500
	if len(os.Args) == 4 {
		if interval, err = strconv.Atoi(os.Args[3]); err != nil || interval <= 0 {
			usage()
		}
	}
	ecsDisabled := os.Getenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED")
	uri := "UNSET"
	if _, ok := os.LookupEnv("ALIBABA_CLOUD_CREDENTIALS_URI"); ok {
		uri = "SET"
	}

	cred, err := credentials.NewCredential(nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chainjob: NewCredential:", err)
		os.Exit(1)
	}
	var calls []call
	errs := 0
	var lastErr error
	end := time.Now().Add(time.Duration(seconds * float64(time.Second)))
	for time.Now().Before(end) {
		m, err := cred.GetCredential()
		c := call{}
		if err != nil {
			errs++
			lastErr = err
		} else {
			if m.AccessKeyId != nil {
				c.id = *m.AccessKeyId
			}
			if m.ProviderName != nil {
				c.provider = *m.ProviderName
			}
		}
		c.ms = nowMs()
		calls = append(calls, c)
		time.Sleep(time.Duration(interval) * time.Millisecond)
	}
	if lastErr != nil {
		fmt.Fprintln(os.Stderr, "chainjob: last error:", lastErr)
	}

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil}}
	res, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/control/history", port))
	if err != nil {
		fmt.Fprintln(os.Stderr, "chainjob: history:", err)
		os.Exit(1)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != 200 {
		fmt.Fprintln(os.Stderr, "chainjob: history: status", res.StatusCode, err)
		os.Exit(1)
	}
	var history map[string]int64
	if err := json.Unmarshal(body, &history); err != nil {
		fmt.Fprintln(os.Stderr, "chainjob: history:", err)
		os.Exit(1)
	}
	expired := 0
	ids := map[string]bool{}
	for _, c := range calls {
		if exp, ok := history[c.id]; !ok || c.id == "" || exp <= c.ms {
			expired++
		}
		ids[c.id] = true
	}
	provider := "-"
	if n := len(calls); n > 0 && calls[n-1].provider != "" {
		provider = calls[n-1].provider
	}
	fmt.Printf("calls=%d expired=%d generations=%d provider=%s errors=%d ecs_disabled=%s uri=%s\n",
		len(calls), expired, len(ids), provider, errs, ecsDisabled, uri)
}
