from .credentials import Credentials
from ..utils import auth_util
from ..exceptions import CredentialException


class EnvironmentVariableCredentialsProvider:

    def get_credentials(self):
        access_key_id = auth_util.environment_access_key_id
        access_key_secret = auth_util.environment_access_key_secret
        security_token = auth_util.environment_security_token

        if access_key_id is None or len(access_key_id) == 0:
            raise CredentialException("Environment variable accessKeyId cannot be empty")
        if access_key_secret is None or len(access_key_secret) == 0:
            raise CredentialException("Environment variable accessKeySecret cannot be empty")
        return Credentials(access_key_id=access_key_id, access_key_secret=access_key_secret,
                           security_token=security_token, provider_name=self.get_provider_name())

    def get_provider_name(self):
        return 'env'
