package com.aliyun.credentials.utils;

import com.aliyun.credentials.exception.CredentialException;

import java.text.ParseException;
import java.text.SimpleDateFormat;
import java.util.Date;
import java.util.SimpleTimeZone;

public final class ParameterHelper {
    private static final String FORMAT_ISO8601 = "yyyy-MM-dd'T'HH:mm:ss'Z'";

    private ParameterHelper() {
    }

    /**
     * Parses an Expiration the way the SDK does: SimpleDateFormat with the
     * pattern yyyy-MM-dd'T'HH:mm:ss'Z' in UTC.  "2024-05-21T10:39:29.123Z" and
     * "2024-05-21T10:39:29+00:00" are errors (the literal Z does not match).
     */
    public static Date getUTCDate(String date) {
        SimpleDateFormat df = new SimpleDateFormat(FORMAT_ISO8601);
        df.setTimeZone(new SimpleTimeZone(0, "UTC"));
        if (date == null) {
            throw new CredentialException("Expiration is null");
        }
        try {
            return df.parse(date);
        } catch (ParseException e) {
            throw new CredentialException(e.getMessage(), e);
        }
    }
}
