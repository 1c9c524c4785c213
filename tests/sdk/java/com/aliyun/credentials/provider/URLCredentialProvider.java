package com.aliyun.credentials.provider;

import com.aliyun.credentials.exception.CredentialException;
import com.aliyun.credentials.models.CredentialModel;
import com.aliyun.credentials.utils.Json;
import com.aliyun.credentials.utils.LoopbackHttp;
import com.aliyun.credentials.utils.ParameterHelper;

import java.net.MalformedURLException;
import java.net.URL;
import java.util.Map;

/**
 * The credentials URI (ALIBABA_CLOUD_CREDENTIALS_URI): a plain GET of the URI
 * as given; any 2xx status; Code must be "Success"; AccessKeyId,
 * AccessKeySecret, SecurityToken and Expiration must be there; Expiration is
 * parsed as yyyy-MM-dd'T'HH:mm:ss'Z' in UTC (a fraction or an offset is an
 * error).  Cached with the STRICT rules of SessionCredentialsProvider.
 */
public class URLCredentialProvider extends SessionCredentialsProvider {
    private final URL credentialsURI;
    private final int connectTimeout = 5000;
    private final int readTimeout = 10000;

    public URLCredentialProvider() {
        this(System.getenv("ALIBABA_CLOUD_CREDENTIALS_URI"));
    }

    public URLCredentialProvider(String uri) {
        super(StaleValueBehavior.STRICT);
        if (uri == null || uri.isEmpty()) {
            throw new CredentialException("Credential URI cannot be null.");
        }
        try {
            this.credentialsURI = new URL(uri);
        } catch (MalformedURLException e) {
            throw new CredentialException("Credential URI is not valid.");
        }
    }

    @Override
    protected CredentialModel refreshCredentials() {
        LoopbackHttp.Response r;
        try {
            r = LoopbackHttp.send("GET", credentialsURI, null, connectTimeout, readTimeout);
        } catch (Exception e) {
            throw new CredentialException("Failed to connect Server: " + e, e);
        }
        // The SDK puts the URI and the body into its messages; the stand-in
        // does not, because either may hold a secret.
        if (r.status >= 300 || r.status < 200) {
            throw new CredentialException("Failed to get credentials from server: HttpCode=" + r.status);
        }
        Map<String, Object> map;
        try {
            map = Json.parseObject(r.body);
        } catch (RuntimeException e) {
            throw new CredentialException("Failed to get credentials from server: the answer is not a JSON object", e);
        }
        if (!"Success".equals(map.get("Code"))) {
            throw new CredentialException("Error retrieving credentials from credentialsURI result: Code is not Success.");
        }
        if (!map.containsKey("AccessKeyId") || !map.containsKey("AccessKeySecret")
                || !map.containsKey("SecurityToken") || !map.containsKey("Expiration")) {
            throw new CredentialException("Error retrieving credentials from credentialsURI result: a field is missing.");
        }
        long expiration = ParameterHelper.getUTCDate(str(map.get("Expiration"))).getTime();
        return CredentialModel.builder()
                .accessKeyId(str(map.get("AccessKeyId")))
                .accessKeySecret(str(map.get("AccessKeySecret")))
                .securityToken(str(map.get("SecurityToken")))
                .type("credentials_uri")
                .providerName(getProviderName())
                .expiration(expiration)
                .build();
    }

    static String str(Object o) {
        if (o == null || o instanceof String) {
            return (String) o;
        }
        throw new CredentialException("a field of the answer is not a string");
    }

    public String getURL() {
        return credentialsURI.toString();
    }

    @Override
    public String getProviderName() {
        return "credentials_uri";
    }
}
