class Credentials:
    def __init__(self, access_key_id=None, access_key_secret=None, security_token=None,
                 expiration=None, provider_name=None):
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.security_token = security_token
        self.expiration = expiration
        self.provider_name = provider_name

    def get_access_key_id(self):
        return self.access_key_id

    def get_access_key_secret(self):
        return self.access_key_secret

    def get_security_token(self):
        return self.security_token

    def get_provider_name(self):
        return self.provider_name
