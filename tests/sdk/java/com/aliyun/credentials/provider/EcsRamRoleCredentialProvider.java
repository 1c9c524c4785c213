package com.aliyun.credentials.provider;

import com.aliyun.credentials.exception.CredentialException;
import com.aliyun.credentials.models.CredentialModel;
import com.aliyun.credentials.utils.Json;
import com.aliyun.credentials.utils.LoopbackHttp;
import com.aliyun.credentials.utils.ParameterHelper;

import java.net.URL;
import java.util.HashMap;
import java.util.Map;

/**
 * The instance RAM role.  The real provider asks http://100.100.100.200;
 * the stand-in never does: it asks only the base URL in SDKSTUB_ECS_ENDPOINT
 * (a loopback fake) and, with that unset, fails at once, as the real one
 * does (after its 1 s timeout) off ECS.  IMDSv2 token first, IMDSv1 if that
 * fails (unless ALIBABA_CLOUD_IMDSV1_DISABLED=true); the role from
 * ALIBABA_CLOUD_ECS_METADATA or the metadata service; Code must be
 * "Success"; cached with the ALLOW rules of SessionCredentialsProvider.
 */
public class EcsRamRoleCredentialProvider extends SessionCredentialsProvider {
    private static final String CREDENTIALS_PATH = "/latest/meta-data/ram/security-credentials/";
    private final String endpoint;
    private final String roleName;
    private final boolean disableIMDSv1;

    public EcsRamRoleCredentialProvider() {
        super(StaleValueBehavior.ALLOW);
        if (Boolean.parseBoolean(System.getenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED"))) {
            throw new CredentialException("IMDS credentials is disabled.");
        }
        String e = System.getenv("SDKSTUB_ECS_ENDPOINT");
        while (e != null && e.endsWith("/")) {
            e = e.substring(0, e.length() - 1);
        }
        this.endpoint = e == null || e.isEmpty() ? null : e;
        String r = System.getenv("ALIBABA_CLOUD_ECS_METADATA");
        this.roleName = r == null || r.isEmpty() ? null : r;
        this.disableIMDSv1 = Boolean.parseBoolean(System.getenv("ALIBABA_CLOUD_IMDSV1_DISABLED"));
    }

    private LoopbackHttp.Response send(String method, String path, Map<String, String> headers) {
        try {
            return LoopbackHttp.send(method, new URL(endpoint + path), headers, 1000, 1000);
        } catch (Exception e) {
            throw new CredentialException("Failed to connect ECS Metadata Service: " + e, e);
        }
    }

    private String metadataToken() {
        Map<String, String> h = new HashMap<String, String>();
        h.put("X-aliyun-ecs-metadata-token-ttl-seconds", "21600");
        try {
            LoopbackHttp.Response r = send("PUT", "/latest/api/token", h);
            if (r.status == 200) {
                return r.body;
            }
            if (disableIMDSv1) {
                throw new CredentialException("Failed to get token from ECS Metadata Service. HttpCode=" + r.status);
            }
        } catch (CredentialException e) {
            if (disableIMDSv1) {
                throw e;
            }
        }
        return null;
    }

    @Override
    protected CredentialModel refreshCredentials() {
        if (endpoint == null) {
            throw new CredentialException("metadata service not reachable (stand-in)");
        }
        Map<String, String> h = new HashMap<String, String>();
        String token = metadataToken();
        if (token != null) {
            h.put("X-aliyun-ecs-metadata-token", token);
        }
        String role = roleName;
        if (role == null) {
            LoopbackHttp.Response r = send("GET", CREDENTIALS_PATH, h);
            if (r.status != 200) {
                throw new CredentialException("Failed to get RAM session credentials from ECS metadata service. HttpCode=" + r.status);
            }
            role = r.body.trim();
            if (role.isEmpty()) {
                throw new CredentialException("The role name was not found in the instance.");
            }
        }
        LoopbackHttp.Response r = send("GET", CREDENTIALS_PATH + role, h);
        if (r.status != 200) {
            throw new CredentialException("Failed to get RAM session credentials from ECS metadata service. HttpCode=" + r.status);
        }
        Map<String, Object> m;
        try {
            m = Json.parseObject(r.body);
        } catch (RuntimeException e) {
            throw new CredentialException("Invalid JSON from ECS metadata service", e);
        }
        if (!"Success".equals(m.get("Code"))) {
            throw new CredentialException("Failed to get RAM session credentials from ECS metadata service: Code is not Success.");
        }
        long expiration = ParameterHelper.getUTCDate(URLCredentialProvider.str(m.get("Expiration"))).getTime();
        return CredentialModel.builder()
                .accessKeyId(URLCredentialProvider.str(m.get("AccessKeyId")))
                .accessKeySecret(URLCredentialProvider.str(m.get("AccessKeySecret")))
                .securityToken(URLCredentialProvider.str(m.get("SecurityToken")))
                .type("ecs_ram_role")
                .providerName(getProviderName())
                .expiration(expiration)
                .build();
    }

    @Override
    public String getProviderName() {
        return "ecs_ram_role";
    }
}
