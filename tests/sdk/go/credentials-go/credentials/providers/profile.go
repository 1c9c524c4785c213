package providers

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The two profile providers only find out whether their file exists: a
// missing file is the error the SDK gives too (the chain goes on); a present
// one is not read by the stand-in, which says so (the chain goes on too).

func homeDir() string { return os.Getenv("HOME") } // as the Go SDK does on Linux

func fileState(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	return f.Close()
}

// CLIProfileCredentialsProvider stands for ~/.aliyun/config.json (or
// ALIBABA_CLOUD_CONFIG_FILE).
type CLIProfileCredentialsProvider struct{}

// NewCLIProfileCredentialsProvider fails, leaving it out of the chain, when
// ALIBABA_CLOUD_CLI_PROFILE_DISABLED is true.
func NewCLIProfileCredentialsProvider() (*CLIProfileCredentialsProvider, error) {
	if strings.ToLower(os.Getenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED")) == "true" {
		return nil, errors.New("the CLI profile is disabled")
	}
	return &CLIProfileCredentialsProvider{}, nil
}

func (p *CLIProfileCredentialsProvider) GetCredentials() (*Credentials, error) {
	path := os.Getenv("ALIBABA_CLOUD_CONFIG_FILE")
	if path == "" {
		h := homeDir()
		if h == "" {
			return nil, errors.New("cannot found home dir")
		}
		path = filepath.Join(h, ".aliyun", "config.json")
	}
	if err := fileState(path); err != nil {
		return nil, fmt.Errorf("reading aliyun cli config from '%s' failed: %v", path, err)
	}
	return nil, fmt.Errorf("the stand-in reads no CLI profile (%s exists)", path)
}

func (p *CLIProfileCredentialsProvider) GetProviderName() string { return "cli_profile" }

// ProfileCredentialsProvider stands for ~/.alibabacloud/credentials (or
// ALIBABA_CLOUD_CREDENTIALS_FILE).
type ProfileCredentialsProvider struct{}

func NewProfileCredentialsProvider() *ProfileCredentialsProvider {
	return &ProfileCredentialsProvider{}
}

func (p *ProfileCredentialsProvider) GetCredentials() (*Credentials, error) {
	path := os.Getenv("ALIBABA_CLOUD_CREDENTIALS_FILE")
	if path == "" {
		h := homeDir()
		if h == "" {
			return nil, errors.New("cannot found home dir")
		}
		path = filepath.Join(h, ".alibabacloud", "credentials")
	}
	if err := fileState(path); err != nil {
		return nil, errors.New("ERROR: Can not open file" + err.Error())
	}
	return nil, fmt.Errorf("the stand-in reads no credentials file (%s exists)", path)
}

func (p *ProfileCredentialsProvider) GetProviderName() string { return "profile" }
