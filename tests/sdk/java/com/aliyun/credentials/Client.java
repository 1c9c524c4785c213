package com.aliyun.credentials;

import com.aliyun.credentials.models.CredentialModel;
import com.aliyun.credentials.provider.AlibabaCloudCredentialsProvider;
import com.aliyun.credentials.provider.DefaultCredentialsProvider;

/**
 * Test stand-in for com.aliyun.credentials.Client of credentials-java
 * (1.0.x): {@code new Client()} is the default chain, which is what stsenv's
 * tests need.  JDK only; see tests/sdk/README.md for what it copies from the
 * real SDK and what it leaves out.
 */
public class Client {
    private final AlibabaCloudCredentialsProvider credentialsProvider;

    /** The default chain. */
    public Client() {
        this.credentialsProvider = new DefaultCredentialsProvider();
    }

    public Client(AlibabaCloudCredentialsProvider provider) {
        this.credentialsProvider = provider == null ? new DefaultCredentialsProvider() : provider;
    }

    /** The whole credential, from the provider (refreshed when stale). */
    public CredentialModel getCredential() {
        return this.credentialsProvider.getCredentials();
    }

    /** @deprecated use getCredential().getAccessKeyId() */
    @Deprecated
    public String getAccessKeyId() {
        return getCredential().getAccessKeyId();
    }

    /** @deprecated use getCredential().getAccessKeySecret() */
    @Deprecated
    public String getAccessKeySecret() {
        return getCredential().getAccessKeySecret();
    }

    /** @deprecated use getCredential().getSecurityToken() */
    @Deprecated
    public String getSecurityToken() {
        return getCredential().getSecurityToken();
    }

    /** @deprecated use getCredential().getType() */
    @Deprecated
    public String getType() {
        return getCredential().getType();
    }
}
