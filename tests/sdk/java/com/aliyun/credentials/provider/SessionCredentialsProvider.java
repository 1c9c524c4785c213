package com.aliyun.credentials.provider;

import com.aliyun.credentials.exception.CredentialException;
import com.aliyun.credentials.models.CredentialModel;

import java.util.Random;

/**
 * A provider whose credential expires, with the SDK's cache rules
 * (RefreshCachedSupplier): a credential is stale 15 minutes before its
 * Expiration and is fetched again, blocking, by the call that finds it
 * stale.  One with less than 15 minutes left is used for that call only, so
 * a short-lived credential is fetched again at every call.
 *
 * <p>STRICT (the URI): a failed fetch after the stale point is an error,
 * although the cached credential may still be valid.  ALLOW (ECS): the
 * cached credential is served again and the next fetch put off, with
 * jitter, 1 s to max(10 s, 0.1 s * 2^(n-1)) after n failures; an answer that
 * has already expired puts it off 50 to 70 s.
 */
public abstract class SessionCredentialsProvider implements AlibabaCloudCredentialsProvider {
    static final long STALE_TIME = 15 * 60 * 1000L;
    private static final Random JITTER = new Random();

    enum StaleValueBehavior { STRICT, ALLOW }

    private final StaleValueBehavior behavior;
    private CredentialModel cached;
    private long cachedStaleTime;
    private int failures;

    protected SessionCredentialsProvider(StaleValueBehavior behavior) {
        this.behavior = behavior;
    }

    /** Fetches a fresh credential (with its expiration, epoch ms). */
    protected abstract CredentialModel refreshCredentials();

    static long staleTimeOf(long expiration) {
        return expiration <= 0 ? System.currentTimeMillis() + 60 * 60 * 1000L : expiration - STALE_TIME;
    }

    @Override
    public synchronized CredentialModel getCredentials() {
        if (cached == null || System.currentTimeMillis() >= cachedStaleTime) {
            refresh();
        }
        return cached;
    }

    private void refresh() {
        CredentialModel fresh;
        try {
            fresh = refreshCredentials();
        } catch (RuntimeException e) {
            failed(e);
            return;
        }
        failures = 0;
        long now = System.currentTimeMillis();
        long stale = staleTimeOf(fresh.getExpiration());
        if (now < stale) {
            set(fresh, stale);
        } else if (now < stale + STALE_TIME) {
            set(fresh, now); // still valid, less than 15 minutes left: this call only
        } else if (cached == null) {
            throw new CredentialException("No cached value was found.");
        } else if (now >= cachedStaleTime) {
            cachedStaleTime = behavior == StaleValueBehavior.STRICT
                    ? now + 1000 : now + 50 * 1000 + JITTER.nextInt(20 * 1000 + 1);
        }
    }

    private void failed(RuntimeException e) {
        long now = System.currentTimeMillis();
        if (cached == null) {
            throw wrap(e);
        }
        if (now < cachedStaleTime) {
            return;
        }
        failures++;
        if (behavior == StaleValueBehavior.STRICT) {
            throw wrap(e);
        }
        long backoff = Math.max(10 * 1000L, (1L << Math.min(failures - 1, 40)) * 100);
        cachedStaleTime = now + 1000 + Math.abs(JITTER.nextLong() % (backoff - 1000));
    }

    private static CredentialException wrap(RuntimeException e) {
        return e instanceof CredentialException ? (CredentialException) e
                : new CredentialException("Failed to refresh credentials.", e);
    }

    private void set(CredentialModel value, long staleTime) {
        this.cached = value;
        this.cachedStaleTime = staleTime;
    }
}
