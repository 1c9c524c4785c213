import calendar
import json
import time
import urllib.request

from .credentials import Credentials
from ..utils import auth_util as au
from ..exceptions import CredentialException


class URLCredentialsProvider:
    """GET the URI; cache the credential until 15 minutes before it expires."""

    def __init__(self, uri=None):
        self._uri = uri or au.environment_credentials_uri
        if self._uri is None or self._uri == '':
            raise ValueError('uri or environment variable ALIBABA_CLOUD_CREDENTIALS_URI cannot be empty')
        self._cached = None
        self._stale_time = 0

    def get_credentials(self):
        if self._cached is None or time.time() >= self._stale_time:
            self._cached = self._refresh_credentials()
        return self._cached

    def _refresh_credentials(self):
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(self._uri, timeout=10) as r:
            if r.status != 200:
                raise CredentialException('error refreshing credentials from %s, http_code=%d' % (self._uri, r.status))
            dic = json.loads(r.read().decode('utf-8'))
        if dic.get('Code') != 'Success' or 'AccessKeyId' not in dic or 'Expiration' not in dic:
            raise CredentialException('error retrieving credentials from %s' % self._uri)
        expiration = calendar.timegm(time.strptime(dic['Expiration'], '%Y-%m-%dT%H:%M:%SZ'))
        self._stale_time = expiration - 15 * 60
        return Credentials(access_key_id=dic['AccessKeyId'], access_key_secret=dic['AccessKeySecret'],
                           security_token=dic['SecurityToken'], expiration=expiration,
                           provider_name=self.get_provider_name())

    def get_provider_name(self):
        return 'credential_uri'
