package com.aliyun.credentials.provider;

import com.aliyun.credentials.exception.CredentialException;
import com.aliyun.credentials.models.CredentialModel;

import java.io.File;

/**
 * The INI file ALIBABA_CLOUD_CREDENTIALS_FILE, else
 * ~/.alibabacloud/credentials.ini (user.home).  A missing file is an error
 * that lets the chain go on; the stand-in reads no file that is there.
 */
public class ProfileCredentialsProvider implements AlibabaCloudCredentialsProvider {
    @Override
    public CredentialModel getCredentials() {
        String path = System.getenv("ALIBABA_CLOUD_CREDENTIALS_FILE");
        if (path == null) {
            path = System.getProperty("user.home") + File.separator + ".alibabacloud"
                    + File.separator + "credentials.ini";
        }
        if (path.isEmpty()) {
            throw new CredentialException("The specified credentials file is empty.");
        }
        if (!new File(path).isFile()) {
            throw new CredentialException(String.format("Unable to open credentials file: %s.", path));
        }
        throw new CredentialException("the stand-in reads no credentials file (" + path + " exists)");
    }

    @Override
    public String getProviderName() {
        return "profile";
    }
}
