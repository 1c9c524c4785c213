package com.aliyun.credentials.provider;

import com.aliyun.credentials.exception.CredentialException;
import com.aliyun.credentials.models.CredentialModel;

/**
 * In the chain only when ALIBABA_CLOUD_ROLE_ARN,
 * ALIBABA_CLOUD_OIDC_PROVIDER_ARN and ALIBABA_CLOUD_OIDC_TOKEN_FILE are all
 * set (see DefaultCredentialsProvider); the stand-in does not call STS.
 */
public class OIDCRoleArnCredentialProvider implements AlibabaCloudCredentialsProvider {
    static boolean configured() {
        return !empty(System.getenv("ALIBABA_CLOUD_ROLE_ARN"))
                && !empty(System.getenv("ALIBABA_CLOUD_OIDC_PROVIDER_ARN"))
                && !empty(System.getenv("ALIBABA_CLOUD_OIDC_TOKEN_FILE"));
    }

    private static boolean empty(String s) {
        return s == null || s.isEmpty();
    }

    @Override
    public CredentialModel getCredentials() {
        throw new CredentialException("OIDC not supported by this stand-in");
    }

    @Override
    public String getProviderName() {
        return "oidc_role_arn";
    }
}
