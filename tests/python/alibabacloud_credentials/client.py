from .provider import DefaultCredentialsProvider


class CredentialModel:
    def __init__(self, c):
        self.access_key_id = c.get_access_key_id()
        self.access_key_secret = c.get_access_key_secret()
        self.security_token = c.get_security_token()
        self.provider_name = c.get_provider_name()
        self.type = 'sts' if self.security_token else 'access_key'

    def get_access_key_id(self):
        return self.access_key_id

    def get_access_key_secret(self):
        return self.access_key_secret

    def get_security_token(self):
        return self.security_token

    def get_provider_name(self):
        return self.provider_name


class Client:
    """Client() with no config: the default chain, as modern job code uses it."""

    def __init__(self, config=None):
        self.__provider = DefaultCredentialsProvider()

    def get_credential(self):
        return CredentialModel(self.__provider.get_credentials())
