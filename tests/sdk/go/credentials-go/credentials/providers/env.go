package providers

import (
	"errors"
	"os"
)

// EnvironmentVariableCredentialsProvider reads the three names with
// os.Getenv at every call.  In Go that is the copy of the environment the
// process was started with: nothing changes it later but os.Setenv.
type EnvironmentVariableCredentialsProvider struct{}

func NewEnvironmentVariableCredentialsProvider() *EnvironmentVariableCredentialsProvider {
	return &EnvironmentVariableCredentialsProvider{}
}

func (p *EnvironmentVariableCredentialsProvider) GetCredentials() (*Credentials, error) {
	id := os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_ID")
	if id == "" {
		return nil, errors.New("unable to get credentials from environment variables, Access key ID must be specified via environment variable (ALIBABA_CLOUD_ACCESS_KEY_ID)")
	}
	secret := os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
	if secret == "" {
		return nil, errors.New("unable to get credentials from environment variables, Access key secret must be specified via environment variable (ALIBABA_CLOUD_ACCESS_KEY_SECRET)")
	}
	return &Credentials{
		AccessKeyId:     id,
		AccessKeySecret: secret,
		SecurityToken:   os.Getenv("ALIBABA_CLOUD_SECURITY_TOKEN"),
		ProviderName:    p.GetProviderName(),
	}, nil
}

func (p *EnvironmentVariableCredentialsProvider) GetProviderName() string { return "env" }
