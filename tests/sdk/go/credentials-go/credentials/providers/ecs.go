package providers

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// ECSRAMRoleCredentialsProvider stands for the instance RAM role.  The real
// one asks http://100.100.100.200; the stand-in never does.  It asks only
// the base URL in SDKSTUB_ECS_ENDPOINT (a loopback fake), and with that
// unset it fails at once, as the real one does (after its 1 s timeout) on a
// machine that is not an ECS instance.
type ECSRAMRoleCredentialsProvider struct {
	endpoint      string
	roleName      string
	disableIMDSv1 bool
	session       *Credentials
	expiration    int64 // Unix seconds; 0 = never fetched
}

// NewECSRAMRoleCredentialsProvider fails, leaving ECS out of the chain, when
// ALIBABA_CLOUD_ECS_METADATA_DISABLED is true (any case).
func NewECSRAMRoleCredentialsProvider() (*ECSRAMRoleCredentialsProvider, error) {
	if strings.ToLower(os.Getenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED")) == "true" {
		return nil, errors.New("IMDS credentials is disabled")
	}
	return &ECSRAMRoleCredentialsProvider{
		endpoint:      strings.TrimRight(os.Getenv("SDKSTUB_ECS_ENDPOINT"), "/"),
		roleName:      os.Getenv("ALIBABA_CLOUD_ECS_METADATA"),
		disableIMDSv1: strings.ToLower(os.Getenv("ALIBABA_CLOUD_IMDSV1_DISABLED")) == "true",
	}, nil
}

const ecsTimeout = time.Second

func (p *ECSRAMRoleCredentialsProvider) metadataToken() (string, error) {
	res, err := httpDo("PUT", p.endpoint+"/latest/api/token",
		map[string]string{"X-aliyun-ecs-metadata-token-ttl-seconds": "21600"}, ecsTimeout, ecsTimeout)
	if err == nil && res.StatusCode == 200 {
		return string(res.Body), nil
	}
	if !p.disableIMDSv1 {
		return "", nil // fall back to IMDSv1
	}
	if err != nil {
		return "", fmt.Errorf("get metadata token failed: %v", err)
	}
	return "", fmt.Errorf("get metadata token failed: httpStatus: %d", res.StatusCode)
}

func (p *ECSRAMRoleCredentialsProvider) fetch() (*Credentials, string, error) {
	if p.endpoint == "" {
		return nil, "", errors.New("metadata service not reachable (stand-in)")
	}
	token, err := p.metadataToken()
	if err != nil {
		return nil, "", err
	}
	headers := map[string]string{}
	if token != "" {
		headers["X-aliyun-ecs-metadata-token"] = token
	}
	const base = "/latest/meta-data/ram/security-credentials/"
	role := p.roleName
	if role == "" {
		res, err := httpDo("GET", p.endpoint+base, headers, ecsTimeout, ecsTimeout)
		if err != nil {
			return nil, "", fmt.Errorf("get role name failed: %v", err)
		}
		if res.StatusCode != 200 {
			return nil, "", fmt.Errorf("get role name failed: GET %s %d", base, res.StatusCode)
		}
		role = strings.TrimSpace(string(res.Body))
	}
	res, err := httpDo("GET", p.endpoint+base+role, headers, ecsTimeout, ecsTimeout)
	if err != nil {
		return nil, "", fmt.Errorf("refresh Ecs sts token err: %v", err)
	}
	if res.StatusCode != 200 {
		return nil, "", fmt.Errorf("refresh Ecs sts token err, httpStatus: %d", res.StatusCode)
	}
	var data struct {
		Code, AccessKeyId, AccessKeySecret, SecurityToken, Expiration *string
	}
	if err := json.Unmarshal(res.Body, &data); err != nil {
		return nil, "", fmt.Errorf("refresh Ecs sts token err, json.Unmarshal fail: %v", err)
	}
	if data.AccessKeyId == nil || data.AccessKeySecret == nil || data.SecurityToken == nil {
		return nil, "", errors.New("refresh Ecs sts token err, fail to get credentials")
	}
	if data.Code == nil || *data.Code != "Success" {
		return nil, "", errors.New("refresh Ecs sts token err, Code is not Success")
	}
	exp := ""
	if data.Expiration != nil {
		exp = *data.Expiration
	}
	return &Credentials{AccessKeyId: *data.AccessKeyId, AccessKeySecret: *data.AccessKeySecret,
		SecurityToken: *data.SecurityToken}, exp, nil
}

func (p *ECSRAMRoleCredentialsProvider) GetCredentials() (*Credentials, error) {
	if p.session == nil || p.expiration == 0 || p.expiration-time.Now().Unix() <= staleAfter {
		c, exp, err := p.fetch()
		if err != nil {
			return nil, err
		}
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

func (p *ECSRAMRoleCredentialsProvider) GetProviderName() string { return "ecs_ram_role" }
