"""A moto server bound to 127.0.0.1 for the whole test session, and boto3 clients aimed at it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer

AWS_REGION = "us-east-1"

_DUMMY_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": AWS_REGION,
    "AWS_REGION": AWS_REGION,
    # Never read a developer's real profile or instance metadata.
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "AWS_EC2_METADATA_DISABLED": "true",
}


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """Start one moto server on 127.0.0.1 (a free port) with dummy AWS credentials; yield its URL."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in _DUMMY_AWS_ENV.items():
            patch.setenv(name, value)
        patch.delenv("AWS_PROFILE", raising=False)
        werkzeug_logger = logging.getLogger("werkzeug")
        previous_level = werkzeug_logger.level
        werkzeug_logger.setLevel(logging.WARNING)  # one INFO line per request otherwise
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            yield f"http://{host}:{port}"
        finally:
            server.stop()
            werkzeug_logger.setLevel(previous_level)


def aws_client(service: str, endpoint: str, **config: Any) -> Any:
    """A boto3 client for `service` that talks only to the moto server at `endpoint`."""
    return boto3.client(
        service,  # type: ignore[call-overload]
        region_name=AWS_REGION,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        aws_session_token="testing",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, **config),
    )
