package com.aliyun.credentials.provider;

import com.aliyun.credentials.models.CredentialModel;

/** One link of a chain. */
public interface AlibabaCloudCredentialsProvider {
    CredentialModel getCredentials();

    String getProviderName();
}
