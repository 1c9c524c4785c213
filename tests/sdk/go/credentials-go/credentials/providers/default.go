package providers

import (
	"fmt"
	"os"
	"strings"
)

// DefaultCredentialsProvider is the default chain: environment, OIDC (if
// configured), CLI profile, INI profile, ECS (unless disabled), credentials
// URI (if set), built once when the credential is made.
type DefaultCredentialsProvider struct {
	chain    []CredentialsProvider
	lastUsed CredentialsProvider
}

func NewDefaultCredentialsProvider() *DefaultCredentialsProvider {
	var chain []CredentialsProvider
	chain = append(chain, NewEnvironmentVariableCredentialsProvider())
	if p, err := NewOIDCCredentialsProvider(); err == nil {
		chain = append(chain, p)
	}
	if p, err := NewCLIProfileCredentialsProvider(); err == nil {
		chain = append(chain, p)
	}
	chain = append(chain, NewProfileCredentialsProvider())
	if p, err := NewECSRAMRoleCredentialsProvider(); err == nil {
		chain = append(chain, p)
	}
	if os.Getenv("ALIBABA_CLOUD_CREDENTIALS_URI") != "" {
		if p, err := NewURLCredentialsProvider(""); err == nil {
			chain = append(chain, p)
		}
	}
	return &DefaultCredentialsProvider{chain: chain}
}

func (d *DefaultCredentialsProvider) wrap(p CredentialsProvider, c *Credentials) *Credentials {
	name := c.ProviderName
	if name == "" {
		name = p.GetProviderName()
	}
	return &Credentials{AccessKeyId: c.AccessKeyId, AccessKeySecret: c.AccessKeySecret,
		SecurityToken: c.SecurityToken, ProviderName: d.GetProviderName() + "/" + name}
}

// GetCredentials asks the provider that answered before, and only it; the
// first time it walks the chain and collects every error.  As in the SDK,
// the provider being tried is remembered before it is asked, so after a
// walk where none answered, later calls ask only the last of the chain.
func (d *DefaultCredentialsProvider) GetCredentials() (*Credentials, error) {
	if d.lastUsed != nil {
		c, err := d.lastUsed.GetCredentials()
		if err != nil {
			return nil, err
		}
		return d.wrap(d.lastUsed, c), nil
	}
	var errs []string
	for _, p := range d.chain {
		d.lastUsed = p
		c, err := p.GetCredentials()
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		if c != nil {
			return d.wrap(p, c), nil
		}
	}
	return nil, fmt.Errorf("unable to get credentials from any of the providers in the chain: %s", strings.Join(errs, ", "))
}

func (d *DefaultCredentialsProvider) GetProviderName() string { return "default" }
