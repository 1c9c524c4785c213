package com.aliyun.credentials.provider;

import com.aliyun.credentials.exception.CredentialException;
import com.aliyun.credentials.models.CredentialModel;

/**
 * The system properties alibabacloud.accessKeyId and
 * alibabacloud.accessKeyIdSecret (else alibabacloud.accessKeySecret), with
 * alibabacloud.sessionToken: first in Java's chain, before the environment.
 */
public class SystemPropertiesCredentialsProvider implements AlibabaCloudCredentialsProvider {
    private static boolean empty(String s) {
        return s == null || s.isEmpty();
    }

    @Override
    public CredentialModel getCredentials() {
        String id = System.getProperty("alibabacloud.accessKeyId");
        String secret = System.getProperty("alibabacloud.accessKeySecret");
        if (!empty(System.getProperty("alibabacloud.accessKeyIdSecret"))) {
            secret = System.getProperty("alibabacloud.accessKeyIdSecret");
        }
        String token = System.getProperty("alibabacloud.sessionToken");
        if (empty(id)) {
            throw new CredentialException("System property alibabacloud.accessKeyId cannot be empty.");
        }
        if (empty(secret)) {
            throw new CredentialException("System property alibabacloud.accessKeySecret cannot be empty.");
        }
        return CredentialModel.builder().accessKeyId(id).accessKeySecret(secret)
                .securityToken(empty(token) ? null : token).type(empty(token) ? "access_key" : "sts")
                .providerName(getProviderName()).build();
    }

    @Override
    public String getProviderName() {
        return "system";
    }
}
