package com.aliyun.credentials.exception;

public class CredentialException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CredentialException(String message) {
        super(message);
    }

    public CredentialException(String message, Throwable cause) {
        super(message, cause);
    }
}
