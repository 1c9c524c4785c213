package com.aliyun.credentials.utils;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.Proxy;
import java.net.URL;
import java.util.Map;

/**
 * HTTP for the stand-in: java.net.HttpURLConnection with Proxy.NO_PROXY (no
 * proxy setting reroutes it), no redirects, and only to loopback addresses:
 * the stand-in never talks to the network, least of all to the metadata
 * service at 100.100.100.200.
 */
public final class LoopbackHttp {
    private static final int MAX_BODY = 1 << 20;

    private LoopbackHttp() {
    }

    public static final class Response {
        public final int status;
        public final String body;

        Response(int status, String body) {
            this.status = status;
            this.body = body;
        }
    }

    public static Response send(String method, URL url, Map<String, String> headers,
                                int connectTimeoutMs, int readTimeoutMs) throws IOException {
        if (!"http".equals(url.getProtocol()) && !"https".equals(url.getProtocol())) {
            throw new IOException("unsupported protocol " + url.getProtocol());
        }
        InetAddress[] addrs = InetAddress.getAllByName(url.getHost());
        for (InetAddress a : addrs) {
            if (!a.isLoopbackAddress()) {
                throw new IOException("the stand-in only connects to loopback addresses ("
                        + url.getHost() + " is " + a.getHostAddress() + ")");
            }
        }
        HttpURLConnection c = (HttpURLConnection) url.openConnection(Proxy.NO_PROXY);
        try {
            c.setRequestMethod(method);
            c.setInstanceFollowRedirects(false);
            c.setConnectTimeout(connectTimeoutMs);
            c.setReadTimeout(readTimeoutMs);
            c.setUseCaches(false);
            if (headers != null) {
                for (Map.Entry<String, String> h : headers.entrySet()) {
                    c.setRequestProperty(h.getKey(), h.getValue());
                }
            }
            if ("PUT".equals(method) || "POST".equals(method)) {
                c.setDoOutput(true);
                c.setFixedLengthStreamingMode(0);
                c.getOutputStream().close();
            }
            int status = c.getResponseCode();
            InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
            String body = "";
            if (in != null) {
                try {
                    body = readAll(in);
                } finally {
                    in.close();
                }
            }
            return new Response(status, body);
        } finally {
            c.disconnect();
        }
    }

    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int n;
        while ((n = in.read(buf)) > 0) {
            if (out.size() + n > MAX_BODY) {
                throw new IOException("answer larger than " + MAX_BODY + " bytes");
            }
            out.write(buf, 0, n);
        }
        return new String(out.toByteArray(), "UTF-8");
    }
}
