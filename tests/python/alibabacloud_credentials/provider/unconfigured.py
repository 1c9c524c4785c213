import os

from ..exceptions import CredentialException


class _NotHere:
    what = ''

    def get_credentials(self):
        raise CredentialException('%s is not configured here' % self.what)


class OIDCRoleArnCredentialsProvider(_NotHere):
    what = 'OIDC'


class CLIProfileCredentialsProvider(_NotHere):
    what = 'the CLI profile (~/.aliyun/config.json)'

    def get_credentials(self):
        if os.path.exists(os.path.expanduser('~/.aliyun/config.json')):
            raise CredentialException('the stand-in reads no CLI profile')
        return _NotHere.get_credentials(self)


class ProfileCredentialsProvider(_NotHere):
    what = 'the INI profile (~/.alibabacloud/credentials)'


class EcsRamRoleCredentialsProvider(_NotHere):
    what = 'the ECS metadata service (never asked by the stand-in)'
