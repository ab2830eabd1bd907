"""SecretsManagerSecretStore: keeps each secret in AWS Secrets Manager under a deployment prefix."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, NoReturn

from botocore.exceptions import BotoCoreError, ClientError

from application.ports.secret_store import (
    SecretStore,
    make_secret_ref,
    secret_name_from_ref,
    validate_secret_name,
    validate_secret_value,
)
from domain.errors import NotFound, ServiceUnavailable, UpstreamError

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

logger = logging.getLogger(__name__)

# Secrets Manager refuses an empty SecretString, but secrets may be empty: values are stored behind this tag.
_ENVELOPE = "mailagent:v1:"
_PREFIX_PATTERN = re.compile(r"[A-Za-z0-9_+=.@-]+(/[A-Za-z0-9_+=.@-]+)*")
_UNAVAILABLE = "The secret store is unavailable right now; try again later."
_NOT_FOUND = "No secret is stored under this reference (it may have been deleted)."


class SecretsManagerSecretStore(SecretStore):
    """Secret `name` lives at `<prefix>/<name>`; a reference holds only `name`, so it cannot leave the prefix.

    Grant the role `secretsmanager:{CreateSecret,PutSecretValue,GetSecretValue,DescribeSecret,DeleteSecret,
    RestoreSecret}` on `arn:aws:secretsmanager:<region>:<account>:secret:<prefix>/*` only.
    """

    scheme = "secretsmanager"

    def __init__(self, client: SecretsManagerClient, prefix: str, *, kms_key_id: str | None = None) -> None:
        prefix = prefix.strip("/")
        if not prefix or not _PREFIX_PATTERN.fullmatch(prefix):
            raise ValueError("SecretsManagerSecretStore needs a non-empty prefix such as 'mailagent/prod'.")
        self._client = client
        self._prefix = prefix
        self._kms_key_id = kms_key_id

    def put(self, name: str, value: str) -> str:
        validate_secret_name(name)
        validate_secret_value(value)
        secret_id = self._secret_id(name)
        payload = _ENVELOPE + value
        try:
            try:
                self._client.put_secret_value(SecretId=secret_id, SecretString=payload)
            except ClientError as exc:
                if _code(exc) == "ResourceNotFoundException":
                    self._create(secret_id, payload)
                elif _marked_for_deletion(exc):
                    self._client.restore_secret(SecretId=secret_id)
                    self._client.put_secret_value(SecretId=secret_id, SecretString=payload)
                else:
                    raise
        except (ClientError, BotoCoreError) as exc:
            _unavailable("put", exc)
        return make_secret_ref(self.scheme, name)

    def get(self, ref: str) -> str:
        secret_id = self._secret_id(secret_name_from_ref(self.scheme, ref))
        try:
            response = self._client.get_secret_value(SecretId=secret_id)
        except ClientError as exc:
            if _code(exc) == "ResourceNotFoundException" or _marked_for_deletion(exc):
                raise NotFound(_NOT_FOUND) from None
            _unavailable("get", exc)
        except BotoCoreError as exc:
            _unavailable("get", exc)
        stored = response.get("SecretString")
        if stored is None or not stored.startswith(_ENVELOPE):
            raise UpstreamError("A stored secret has an unexpected format.", service="secret_store")
        return stored[len(_ENVELOPE) :]

    def delete(self, ref: str) -> None:
        try:
            secret_id = self._secret_id(secret_name_from_ref(self.scheme, ref))
        except NotFound:
            return
        try:
            self._client.delete_secret(SecretId=secret_id, ForceDeleteWithoutRecovery=True)
        except ClientError as exc:
            if _code(exc) == "ResourceNotFoundException":
                return
            _unavailable("delete", exc)
        except BotoCoreError as exc:
            _unavailable("delete", exc)

    def exists(self, ref: str) -> bool:
        try:
            secret_id = self._secret_id(secret_name_from_ref(self.scheme, ref))
        except NotFound:
            return False
        try:
            description = self._client.describe_secret(SecretId=secret_id)
        except ClientError as exc:
            if _code(exc) == "ResourceNotFoundException":
                return False
            _unavailable("exists", exc)
        except BotoCoreError as exc:
            _unavailable("exists", exc)
        return description.get("DeletedDate") is None

    def _secret_id(self, name: str) -> str:
        return f"{self._prefix}/{name}"

    def _create(self, secret_id: str, payload: str) -> None:
        extra: dict[str, Any] = {"KmsKeyId": self._kms_key_id} if self._kms_key_id else {}
        try:
            self._client.create_secret(
                Name=secret_id,
                SecretString=payload,
                Tags=[{"Key": "managed-by", "Value": "mailagent"}],
                **extra,
            )
        except ClientError as exc:
            if _code(exc) != "ResourceExistsException":
                raise
            # Another writer created it between our two calls: overwrite, as put promises.
            self._client.put_secret_value(SecretId=secret_id, SecretString=payload)


def build_secrets_manager_secret_store(
    *,
    region: str,
    prefix: str,
    endpoint_url: str | None = None,
    kms_key_id: str | None = None,
) -> SecretsManagerSecretStore:
    """Build the store with a boto3 client (credentials from the usual AWS chain), for the DI container."""
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "secretsmanager",
        region_name=region,
        endpoint_url=endpoint_url,
        config=Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 3, "mode": "standard"}),
    )
    return SecretsManagerSecretStore(client, prefix, kms_key_id=kms_key_id)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _marked_for_deletion(exc: ClientError) -> bool:
    message = str(exc.response.get("Error", {}).get("Message", "")).lower()
    return _code(exc) == "InvalidRequestException" and ("deleted" in message or "deletion" in message)


def _unavailable(operation: str, exc: ClientError | BotoCoreError) -> NoReturn:
    # Log the error code only: botocore messages do not carry the value, and this keeps it that way for sure.
    code = _code(exc) if isinstance(exc, ClientError) else type(exc).__name__
    logger.warning("secrets manager %s failed: %s", operation, code)
    raise ServiceUnavailable(_UNAVAILABLE, service="secret_store") from None
