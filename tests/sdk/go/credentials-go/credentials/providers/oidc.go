package providers

import (
	"errors"
	"os"
)

// OIDCCredentialsProvider joins the chain only when the three OIDC names are
// set, as in the SDK; the stand-in does not call AssumeRoleWithOIDC.
type OIDCCredentialsProvider struct{}

// NewOIDCCredentialsProvider fails (so the chain leaves OIDC out) unless
// ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN and
// ALIBABA_CLOUD_OIDC_TOKEN_FILE are all set.
func NewOIDCCredentialsProvider() (*OIDCCredentialsProvider, error) {
	if os.Getenv("ALIBABA_CLOUD_OIDC_TOKEN_FILE") == "" {
		return nil, errors.New("the OIDCTokenFilePath is empty")
	}
	if os.Getenv("ALIBABA_CLOUD_OIDC_PROVIDER_ARN") == "" {
		return nil, errors.New("the OIDCProviderARN is empty")
	}
	if os.Getenv("ALIBABA_CLOUD_ROLE_ARN") == "" {
		return nil, errors.New("the RoleArn is empty")
	}
	return &OIDCCredentialsProvider{}, nil
}

func (p *OIDCCredentialsProvider) GetCredentials() (*Credentials, error) {
	return nil, errors.New("OIDC not supported by this stand-in")
}

func (p *OIDCCredentialsProvider) GetProviderName() string { return "oidc_role_arn" }
