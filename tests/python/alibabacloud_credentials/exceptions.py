class CredentialException(Exception):
    pass
