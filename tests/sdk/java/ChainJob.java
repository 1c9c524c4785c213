import com.aliyun.credentials.Client;
import com.aliyun.credentials.models.CredentialModel;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URL;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Calls the credentials SDK's default chain (one {@code new Client()},
 * getCredential() every INTERVAL_MS for SECONDS), as long-running job code
 * does, then asks the fake server (tests/fakests.py) when each credential it
 * got expires.  Prints one line, the same as the Go chainjob:
 * {@code calls=N expired=N generations=N provider=NAME errors=N ecs_disabled=VALUE uri=SET|UNSET}
 * usage: java ChainJob SERVER_PORT SECONDS [INTERVAL_MS]
 */
public class ChainJob {
    private static void usage() {
        System.err.println("usage: ChainJob SERVER_PORT SECONDS [INTERVAL_MS]");
        System.exit(2);
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2 || args.length > 3) {
            usage();
        }
        int port = 0;
        double seconds = 0;
        long interval = 500;
        try {
            port = Integer.parseInt(args[0]);
            seconds = Double.parseDouble(args[1]);
            if (args.length == 3) {
                interval = Long.parseLong(args[2]);
            }
        } catch (NumberFormatException e) {
            usage();
        }
        if (port <= 0 || port > 65535 || seconds < 0 || interval <= 0) {
            usage();
        }
        String ecsDisabled = System.getenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED");
        String uri = System.getenv("ALIBABA_CLOUD_CREDENTIALS_URI") != null ? "SET" : "UNSET";

        Client client = new Client();
        List<long[]> times = new ArrayList<long[]>();
        List<String> ids = new ArrayList<String>();
        List<String> providers = new ArrayList<String>();
        int errors = 0;
        Exception lastError = null;
        long end = System.currentTimeMillis() + (long) (seconds * 1000);
        while (System.currentTimeMillis() < end) {
            String id = "";
            String provider = "";
            try {
                CredentialModel c = client.getCredential();
                id = c.getAccessKeyId() == null ? "" : c.getAccessKeyId();
                provider = c.getProviderName() == null ? "" : c.getProviderName();
            } catch (Exception e) {
                errors++;
                lastError = e;
            }
            times.add(new long[] {System.currentTimeMillis()});
            ids.add(id);
            providers.add(provider);
            Thread.sleep(interval);
        }
        if (lastError != null) {
            System.err.println("ChainJob: last error: " + lastError);
        }

        Map<String, Long> history = new HashMap<String, Long>();
        try {
            URL url = new URL("http://127.0.0.1:" + port + "/control/history");
            HttpURLConnection c = (HttpURLConnection) url.openConnection(Proxy.NO_PROXY);
            c.setConnectTimeout(5000);
            c.setReadTimeout(10000);
            if (c.getResponseCode() != 200) {
                System.err.println("ChainJob: history: status " + c.getResponseCode());
                System.exit(1);
            }
            InputStream in = c.getInputStream();
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            byte[] b = new byte[8192];
            int n;
            while ((n = in.read(b)) > 0) {
                buf.write(b, 0, n);
            }
            in.close();
            Matcher m = Pattern.compile("\"([^\"\\\\]*)\"\\s*:\\s*(-?[0-9]+)").matcher(buf.toString("UTF-8"));
            while (m.find()) {
                history.put(m.group(1), Long.valueOf(m.group(2)));
            }
        } catch (Exception e) {
            System.err.println("ChainJob: history: " + e);
            System.exit(1);
        }
        int expired = 0;
        Set<String> generations = new HashSet<String>();
        for (int k = 0; k < ids.size(); k++) {
            String id = ids.get(k);
            Long exp = history.get(id);
            if (id.isEmpty() || exp == null || exp <= times.get(k)[0]) {
                expired++;
            }
            generations.add(id);
        }
        String last = providers.isEmpty() || providers.get(providers.size() - 1).isEmpty()
                ? "-" : providers.get(providers.size() - 1);
        System.out.println("calls=" + ids.size() + " expired=" + expired + " generations=" + generations.size()
                + " provider=" + last + " errors=" + errors + " ecs_disabled=" + (ecsDisabled == null ? "" : ecsDisabled)
                + " uri=" + uri);
    }
}
