package com.aliyun.credentials.provider;

import com.aliyun.credentials.exception.CredentialException;
import com.aliyun.credentials.models.CredentialModel;

import java.util.ArrayList;
import java.util.List;

/**
 * The default chain, built once: system properties, environment, OIDC (if
 * configured), CLI profile, INI profile, ECS (unless
 * ALIBABA_CLOUD_ECS_METADATA_DISABLED is true), credentials URI (if set).
 * The first call walks it and collects every error; the provider that
 * answered is then asked directly on every later call (reuse), and its
 * credential is returned as it is, so the provider name is "default/env" on
 * the first call and "env" afterwards, as in the SDK.
 */
public class DefaultCredentialsProvider implements AlibabaCloudCredentialsProvider {
    private final List<AlibabaCloudCredentialsProvider> chain = new ArrayList<AlibabaCloudCredentialsProvider>();
    private final boolean reuseLastProviderEnabled;
    private volatile AlibabaCloudCredentialsProvider lastUsed;

    public DefaultCredentialsProvider() {
        this(true);
    }

    public DefaultCredentialsProvider(boolean reuseLastProviderEnabled) {
        this.reuseLastProviderEnabled = reuseLastProviderEnabled;
        chain.add(new SystemPropertiesCredentialsProvider());
        chain.add(new EnvironmentVariableCredentialsProvider());
        if (OIDCRoleArnCredentialProvider.configured()) {
            chain.add(new OIDCRoleArnCredentialProvider());
        }
        chain.add(new CLIProfileCredentialsProvider());
        chain.add(new ProfileCredentialsProvider());
        if (!Boolean.parseBoolean(System.getenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED"))) {
            chain.add(new EcsRamRoleCredentialProvider());
        }
        String uri = System.getenv("ALIBABA_CLOUD_CREDENTIALS_URI");
        if (uri != null && !uri.isEmpty()) {
            chain.add(new URLCredentialProvider(uri));
        }
    }

    @Override
    public CredentialModel getCredentials() {
        AlibabaCloudCredentialsProvider last = this.lastUsed;
        if (reuseLastProviderEnabled && last != null) {
            return last.getCredentials();
        }
        List<String> errors = new ArrayList<String>();
        for (AlibabaCloudCredentialsProvider p : chain) {
            try {
                CredentialModel c = p.getCredentials();
                if (c != null) {
                    this.lastUsed = p;
                    return c.toBuilder().providerName(getProviderName() + "/" + c.getProviderName()).build();
                }
            } catch (Exception e) {
                errors.add(p.getClass().getSimpleName() + ": " + e.getMessage());
            }
        }
        throw new CredentialException("Unable to load credentials from any of the providers in the chain: " + errors);
    }

    @Override
    public String getProviderName() {
        return "default";
    }
}
