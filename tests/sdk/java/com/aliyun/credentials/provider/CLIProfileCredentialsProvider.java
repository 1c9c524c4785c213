package com.aliyun.credentials.provider;

import com.aliyun.credentials.exception.CredentialException;
import com.aliyun.credentials.models.CredentialModel;

import java.io.File;

/**
 * The aliyun CLI's ~/.aliyun/config.json, where ~ is the JVM's user.home
 * (from the password database, not $HOME).  A missing file is an error that
 * lets the chain go on, as in the SDK; the stand-in reads no profile from a
 * file that is there, and says so.
 */
public class CLIProfileCredentialsProvider implements AlibabaCloudCredentialsProvider {
    @Override
    public CredentialModel getCredentials() {
        if (Boolean.parseBoolean(System.getenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED"))) {
            throw new CredentialException("CLI credentials file is disabled.");
        }
        File f = new File(new File(System.getProperty("user.home"), ".aliyun"), "config.json");
        if (!f.isFile()) {
            throw new CredentialException("Unable to get profile from empty CLI credentials file.");
        }
        throw new CredentialException("the stand-in reads no CLI profile (" + f + " exists)");
    }

    @Override
    public String getProviderName() {
        return "cli_profile";
    }
}
