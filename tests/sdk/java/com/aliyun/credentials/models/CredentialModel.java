package com.aliyun.credentials.models;

/** One credential, as the SDK's CredentialModel (public fields, getters, builder). */
public class CredentialModel {
    public String accessKeyId;
    public String accessKeySecret;
    public String securityToken;
    public String bearerToken;
    public String type;
    public String providerName;
    /** Epoch milliseconds; 0 when the credential does not expire. */
    public long expiration;

    private CredentialModel(Builder b) {
        this.accessKeyId = b.accessKeyId;
        this.accessKeySecret = b.accessKeySecret;
        this.securityToken = b.securityToken;
        this.bearerToken = b.bearerToken;
        this.type = b.type;
        this.providerName = b.providerName;
        this.expiration = b.expiration;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().accessKeyId(accessKeyId).accessKeySecret(accessKeySecret)
                .securityToken(securityToken).bearerToken(bearerToken).type(type)
                .providerName(providerName).expiration(expiration);
    }

    public String getAccessKeyId() {
        return accessKeyId;
    }

    public String getAccessKeySecret() {
        return accessKeySecret;
    }

    public String getSecurityToken() {
        return securityToken;
    }

    public String getBearerToken() {
        return bearerToken;
    }

    public String getType() {
        return type;
    }

    public String getProviderName() {
        return providerName;
    }

    public long getExpiration() {
        return expiration;
    }

    /** Never shows the secret or the token. */
    @Override
    public String toString() {
        return "CredentialModel(accessKeyId=" + accessKeyId + ", accessKeySecret="
                + (accessKeySecret == null ? "null" : "***") + ", securityToken="
                + (securityToken == null ? "null" : "***") + ", type=" + type
                + ", providerName=" + providerName + ", expiration=" + expiration + ")";
    }

    public static final class Builder {
        private String accessKeyId;
        private String accessKeySecret;
        private String securityToken;
        private String bearerToken;
        private String type;
        private String providerName;
        private long expiration;

        public Builder accessKeyId(String v) {
            this.accessKeyId = v;
            return this;
        }

        public Builder accessKeySecret(String v) {
            this.accessKeySecret = v;
            return this;
        }

        public Builder securityToken(String v) {
            this.securityToken = v;
            return this;
        }

        public Builder bearerToken(String v) {
            this.bearerToken = v;
            return this;
        }

        public Builder type(String v) {
            this.type = v;
            return this;
        }

        public Builder providerName(String v) {
            this.providerName = v;
            return this;
        }

        public Builder expiration(long v) {
            this.expiration = v;
            return this;
        }

        public CredentialModel build() {
            return new CredentialModel(this);
        }
    }
}
