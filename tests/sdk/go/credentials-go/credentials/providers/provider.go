// Package providers is a test stand-in for the providers package of
// github.com/aliyun/credentials-go (v1.4.x, whose default chain is what
// credentials.NewCredential(nil) uses).  It keeps what a test of stsenv has
// to cope with: the chain order, the names it reads, the 180-second stale
// rule, and the reuse of the provider that answered first.  See
// tests/sdk/README.md.
package providers

// Credentials is what a provider hands back.
type Credentials struct {
	AccessKeyId     string
	AccessKeySecret string
	SecurityToken   string
	ProviderName    string
}

// CredentialsProvider is one link of a chain.
type CredentialsProvider interface {
	GetCredentials() (*Credentials, error)
	GetProviderName() string
}

// staleAfter is the Go SDK's rule for session credentials: refetch once
// fewer than this many whole seconds are left before Expiration.
const staleAfter int64 = 180

// expirationLayout is the layout the Go SDK parses Expiration with.  Go's
// time.Parse also takes a fractional second after the seconds field, so
// "…:29.123Z" passes too, as it does in the real SDK.
const expirationLayout = "2006-01-02T15:04:05Z"
