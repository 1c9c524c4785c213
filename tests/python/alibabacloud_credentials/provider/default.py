from . import (EnvironmentVariableCredentialsProvider, EcsRamRoleCredentialsProvider,
               OIDCRoleArnCredentialsProvider, URLCredentialsProvider,
               CLIProfileCredentialsProvider, ProfileCredentialsProvider)
from .credentials import Credentials
from ..utils import auth_util as au
from ..exceptions import CredentialException


class DefaultCredentialsProvider:

    def __init__(self, *, reuse_last_provider_enabled=True):
        self.__reuse_last_provider_enabled = reuse_last_provider_enabled
        self.__last_used_provider = None
        self.__providers_chain = [EnvironmentVariableCredentialsProvider()]
        if au.enable_oidc_credential:
            self.__providers_chain.append(OIDCRoleArnCredentialsProvider())
        self.__providers_chain.append(CLIProfileCredentialsProvider())
        self.__providers_chain.append(ProfileCredentialsProvider())
        if au.environment_ecs_metadata_disabled.lower() != 'true':
            self.__providers_chain.append(EcsRamRoleCredentialsProvider())
        if au.environment_credentials_uri is not None and au.environment_credentials_uri != '':
            self.__providers_chain.append(URLCredentialsProvider())

    def get_credentials(self):
        if self.__reuse_last_provider_enabled and self.__last_used_provider is not None:
            c = self.__last_used_provider.get_credentials()
            return Credentials(c.get_access_key_id(), c.get_access_key_secret(), c.get_security_token(),
                               provider_name='%s/%s' % (self.get_provider_name(), c.get_provider_name()))
        errors = []
        for provider in self.__providers_chain:
            try:
                c = provider.get_credentials()
                if c is not None:
                    self.__last_used_provider = provider
                    return Credentials(c.get_access_key_id(), c.get_access_key_secret(),
                                       c.get_security_token(),
                                       provider_name='%s/%s' % (self.get_provider_name(), c.get_provider_name()))
            except Exception as e:
                errors.append('%s: %s' % (type(provider).__name__, e))
        raise CredentialException('unable to load credentials from any of the providers in the chain: %s' % errors)

    def get_provider_name(self):
        return 'default'
