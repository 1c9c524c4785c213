from .env import EnvironmentVariableCredentialsProvider
from .uri import URLCredentialsProvider
from .unconfigured import (OIDCRoleArnCredentialsProvider, CLIProfileCredentialsProvider,
                           ProfileCredentialsProvider, EcsRamRoleCredentialsProvider)
from .default import DefaultCredentialsProvider
