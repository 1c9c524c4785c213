package providers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// errNotLoopback is returned for any address that is not a loopback one:
// the stand-in never talks to the network (least of all to the metadata
// service at 100.100.100.200), whatever it is configured with.
var errNotLoopback = errors.New("the stand-in only connects to loopback addresses")

type response struct {
	StatusCode int
	Body       []byte
}

func loopbackDialer(connectTimeout time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		if err != nil {
			return nil, err
		}
		for _, ip := range ips {
			if !ip.IP.IsLoopback() {
				return nil, fmt.Errorf("%s (%s is %s)", errNotLoopback, host, ip.IP)
			}
		}
		if len(ips) == 0 {
			return nil, fmt.Errorf("no address for %s", host)
		}
		d := net.Dialer{Timeout: connectTimeout}
		return d.DialContext(ctx, network, net.JoinHostPort(ips[0].IP.String(), port))
	}
}

// httpDo sends one request with its own connection (no proxy, no
// keep-alive), like the SDK's helper that builds a client per request.
func httpDo(method, url string, headers map[string]string, connectTimeout, readTimeout time.Duration) (*response, error) {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	client := &http.Client{
		Timeout: connectTimeout + readTimeout,
		Transport: &http.Transport{
			Proxy:             nil, // never a proxy, whatever HTTP_PROXY says
			DialContext:       loopbackDialer(connectTimeout),
			DisableKeepAlives: true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	return &response{StatusCode: res.StatusCode, Body: body}, nil
}
