package providers

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// URLCredentialsProvider is the credentials URI provider: a plain GET of the
// URI as given, status 200 required, Code ignored (as in the Go SDK), the
// four fields required, and the answer cached until fewer than 180 s are
// left before its Expiration.
type URLCredentialsProvider struct {
	url        string
	session    *Credentials
	expiration int64 // Unix seconds; 0 = never fetched
}

func NewURLCredentialsProvider(url string) (*URLCredentialsProvider, error) {
	if url == "" {
		url = os.Getenv("ALIBABA_CLOUD_CREDENTIALS_URI")
	}
	if url == "" {
		return nil, errors.New("the url is empty")
	}
	return &URLCredentialsProvider{url: url}, nil
}

func (p *URLCredentialsProvider) fetch() (*Credentials, string, error) {
	res, err := httpDo("GET", p.url, nil, 5*time.Second, 10*time.Second)
	if err != nil {
		return nil, "", err
	}
	if res.StatusCode != 200 {
		// The SDK puts the body into this message; the stand-in does not,
		// because a body may hold a secret.
		return nil, "", fmt.Errorf("get credentials from the credentials URI failed: httpStatus: %d", res.StatusCode)
	}
	var r struct {
		AccessKeyId, AccessKeySecret, SecurityToken, Expiration *string
	}
	if err := json.Unmarshal(res.Body, &r); err != nil {
		return nil, "", fmt.Errorf("get credentials from the credentials URI failed with error, json unmarshal fail: %v", err)
	}
	if r.AccessKeyId == nil || r.AccessKeySecret == nil || r.SecurityToken == nil || r.Expiration == nil {
		return nil, "", errors.New("refresh credentials from the credentials URI failed: a field is missing")
	}
	return &Credentials{AccessKeyId: *r.AccessKeyId, AccessKeySecret: *r.AccessKeySecret,
		SecurityToken: *r.SecurityToken}, *r.Expiration, nil
}

func (p *URLCredentialsProvider) needUpdate() bool {
	if p.expiration == 0 {
		return true
	}
	return p.expiration-time.Now().Unix() <= staleAfter
}

func (p *URLCredentialsProvider) GetCredentials() (*Credentials, error) {
	if p.session == nil || p.needUpdate() {
		c, exp, err := p.fetch()
		if err != nil {
			return nil, err
		}
		// As in the SDK: the new value is kept before its Expiration is
		// parsed; a bad Expiration is an error and leaves the old one.
		p.session = c
		t, err := time.Parse(expirationLayout, exp)
		if err != nil {
			return nil, err
		}
		p.expiration = t.Unix()
	}
	c := *p.session
	c.ProviderName = p.GetProviderName()
	return &c, nil
}

func (p *URLCredentialsProvider) GetProviderName() string { return "credential_uri" }
