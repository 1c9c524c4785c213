// Package credentials is a test stand-in for github.com/aliyun/credentials-go
// (v1.4.x), standard library only.  NewCredential(nil) gives the default
// chain, which is what stsenv's tests need; of the configured types only
// access_key, sts and credentials_uri are here.  See tests/sdk/README.md.
package credentials

import (
	"errors"

	"github.com/aliyun/credentials-go/credentials/providers"
)

// Config chooses a credential type; nil means the default chain.
type Config struct {
	Type            *string `json:"type"`
	AccessKeyId     *string `json:"access_key_id"`
	AccessKeySecret *string `json:"access_key_secret"`
	SecurityToken   *string `json:"security_token"`
	Url             *string `json:"url"`
}

func (s *Config) SetType(v string) *Config            { s.Type = &v; return s }
func (s *Config) SetAccessKeyId(v string) *Config     { s.AccessKeyId = &v; return s }
func (s *Config) SetAccessKeySecret(v string) *Config { s.AccessKeySecret = &v; return s }
func (s *Config) SetSecurityToken(v string) *Config   { s.SecurityToken = &v; return s }
func (s *Config) SetURLCredential(v string) *Config   { s.Url = &v; return s }

// CredentialModel is what GetCredential returns, with the same fields as the
// real one (all pointers).
type CredentialModel struct {
	AccessKeyId     *string `json:"accessKeyId,omitempty"`
	AccessKeySecret *string `json:"accessKeySecret,omitempty"`
	SecurityToken   *string `json:"securityToken,omitempty"`
	BearerToken     *string `json:"bearerToken,omitempty"`
	Type            *string `json:"type,omitempty"`
	ProviderName    *string `json:"providerName,omitempty"`
}

// Credential is the interface NewCredential returns.
type Credential interface {
	// Deprecated: use GetCredential.
	GetAccessKeyId() (*string, error)
	// Deprecated: use GetCredential.
	GetAccessKeySecret() (*string, error)
	// Deprecated: use GetCredential.
	GetSecurityToken() (*string, error)
	GetBearerToken() *string
	GetType() *string
	GetCredential() (*CredentialModel, error)
}

type providerWrap struct {
	typeName string
	provider providers.CredentialsProvider
}

func (w *providerWrap) GetCredential() (*CredentialModel, error) {
	c, err := w.provider.GetCredentials()
	if err != nil {
		return nil, err
	}
	t := w.typeName
	return &CredentialModel{
		AccessKeyId:     &c.AccessKeyId,
		AccessKeySecret: &c.AccessKeySecret,
		SecurityToken:   &c.SecurityToken,
		Type:            &t,
		ProviderName:    &c.ProviderName,
	}, nil
}

func (w *providerWrap) GetAccessKeyId() (*string, error) {
	c, err := w.GetCredential()
	if err != nil {
		return nil, err
	}
	return c.AccessKeyId, nil
}

func (w *providerWrap) GetAccessKeySecret() (*string, error) {
	c, err := w.GetCredential()
	if err != nil {
		return nil, err
	}
	return c.AccessKeySecret, nil
}

func (w *providerWrap) GetSecurityToken() (*string, error) {
	c, err := w.GetCredential()
	if err != nil {
		return nil, err
	}
	return c.SecurityToken, nil
}

func (w *providerWrap) GetBearerToken() *string { s := ""; return &s }
func (w *providerWrap) GetType() *string        { t := w.typeName; return &t }

type staticProvider struct {
	c providers.Credentials
}

func (s *staticProvider) GetCredentials() (*providers.Credentials, error) { c := s.c; return &c, nil }
func (s *staticProvider) GetProviderName() string                         { return s.c.ProviderName }

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// NewCredential returns the credential the config describes; a nil config
// gives the default chain (environment, OIDC, CLI profile, INI profile,
// ECS, credentials URI).
func NewCredential(config *Config) (Credential, error) {
	if config == nil {
		return &providerWrap{typeName: "default", provider: providers.NewDefaultCredentialsProvider()}, nil
	}
	switch str(config.Type) {
	case "access_key":
		if str(config.AccessKeyId) == "" {
			return nil, errors.New("AccessKeyId cannot be empty")
		}
		if str(config.AccessKeySecret) == "" {
			return nil, errors.New("AccessKeySecret cannot be empty")
		}
		return &providerWrap{typeName: "access_key", provider: &staticProvider{providers.Credentials{
			AccessKeyId: str(config.AccessKeyId), AccessKeySecret: str(config.AccessKeySecret),
			ProviderName: "static_ak"}}}, nil
	case "sts":
		if str(config.AccessKeyId) == "" {
			return nil, errors.New("AccessKeyId cannot be empty")
		}
		if str(config.AccessKeySecret) == "" {
			return nil, errors.New("AccessKeySecret cannot be empty")
		}
		if str(config.SecurityToken) == "" {
			return nil, errors.New("SecurityToken cannot be empty")
		}
		return &providerWrap{typeName: "sts", provider: &staticProvider{providers.Credentials{
			AccessKeyId: str(config.AccessKeyId), AccessKeySecret: str(config.AccessKeySecret),
			SecurityToken: str(config.SecurityToken), ProviderName: "static_sts"}}}, nil
	case "credentials_uri":
		p, err := providers.NewURLCredentialsProvider(str(config.Url))
		if err != nil {
			return nil, err
		}
		return &providerWrap{typeName: "credentials_uri", provider: p}, nil
	}
	return nil, errors.New("invalid type option (this stand-in supports: access_key, sts, credentials_uri, or a nil config for the default chain)")
}
