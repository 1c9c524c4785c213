package com.aliyun.credentials.provider;

import com.aliyun.credentials.exception.CredentialException;
import com.aliyun.credentials.models.CredentialModel;

/**
 * ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET and
 * ALIBABA_CLOUD_SECURITY_TOKEN through System.getenv at every call.  The JVM
 * builds that map once, from the environment the process started with, so
 * the values never change while the JVM runs; no expiry is attached.
 */
public class EnvironmentVariableCredentialsProvider implements AlibabaCloudCredentialsProvider {
    private static boolean empty(String s) {
        return s == null || s.isEmpty();
    }

    @Override
    public CredentialModel getCredentials() {
        String id = System.getenv("ALIBABA_CLOUD_ACCESS_KEY_ID");
        String secret = System.getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
        String token = System.getenv("ALIBABA_CLOUD_SECURITY_TOKEN");
        if (empty(id)) {
            throw new CredentialException("Environment variable accessKeyId cannot be empty.");
        }
        if (empty(secret)) {
            throw new CredentialException("Environment variable accessKeySecret cannot be empty.");
        }
        return CredentialModel.builder().accessKeyId(id).accessKeySecret(secret)
                .securityToken(empty(token) ? null : token).type(empty(token) ? "access_key" : "sts")
                .providerName(getProviderName()).build();
    }

    @Override
    public String getProviderName() {
        return "env";
    }
}
