"""MAILAGENT_BLOB_BACKEND=s3 against moto in server mode: the same flows as on local files — upload (multipart for
large files), a presigned download only its owner gets, send by id — plus the expiry job with a moved clock and the
bucket's lifecycle rule as the second line."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.in_memory.clock import InMemoryClock
from adapters.s3.blob_store import TEMPORARY_TAG, lifecycle_rule
from tests.support.app import Account, Api, make_app, make_settings
from tests.support.clamd import Clamd, clamd  # noqa: F401  (fixture)
from tests.support.moto import aws_client, moto_endpoint  # noqa: F401  (fixture)

pytestmark = pytest.mark.integration


class S3World:
    def __init__(self, api: Api, container: Any, me: Account, client: Any, bucket: str, clock: InMemoryClock) -> None:
        self.api, self.container, self.me = api, container, me
        self.client, self.bucket, self.clock = client, bucket, clock

    def keys(self) -> list[str]:
        return [o["Key"] for o in self.client.list_objects_v2(Bucket=self.bucket).get("Contents", [])]


@pytest.fixture
def s3world(tmp_path: Path, moto_endpoint: str, clamd: Clamd) -> Iterator[S3World]:  # noqa: F811
    client = aws_client("s3", moto_endpoint)
    bucket = f"mailagent-{uuid.uuid4().hex[:10]}"
    client.create_bucket(Bucket=bucket)
    client.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [lifecycle_rule()]})
    settings = make_settings(
        tmp_path,
        demo_mailbox_size=5,
        blob_backend="s3",
        s3_bucket=bucket,
        s3_endpoint_url=moto_endpoint,
        clamd_address=clamd.tcp,
    )
    clock = InMemoryClock(datetime.now(UTC))
    app, container = make_app(settings, clock=clock)
    api = Api(app, settings)
    me = api.signup("s3@example.com")
    assert api.post("/api/v1/mail/accounts/demo", headers=me.headers).status_code == 201
    yield S3World(api, container, me, client, bucket, clock)
    api.client.close()


@pytest.mark.property(63)
def test_upload_presigned_download_and_send_on_s3(s3world: S3World) -> None:
    w = s3world
    data = os.urandom(12 * 1024 * 1024)  # past the multipart threshold
    r = w.api.post("/api/v1/attachments/upload", files={"file": ("big.bin", io.BytesIO(data))}, headers=w.me.headers)
    assert r.status_code == 201, r.text
    up = r.json()["data"]
    assert w.keys() == [f"uploads/{w.me.user_id}/{up['id']}"]
    tags = w.client.get_object_tagging(Bucket=w.bucket, Key=w.keys()[0])["TagSet"]
    assert {"Key": TEMPORARY_TAG, "Value": "true"} in tags

    redirect = w.api.get(f"/api/v1/attachments/{up['id']}/download", headers=w.me.headers, follow_redirects=False)
    assert redirect.status_code == 307
    url = redirect.headers["location"]
    assert "X-Amz-Expires=300" in url and "Signature" in url
    fetched = httpx.get(url)
    assert fetched.status_code == 200 and fetched.content == data
    other = w.api.signup("someone-else@example.com")
    assert w.api.get(f"/api/v1/attachments/{up['id']}/download", headers=other.headers).status_code == 404

    small = w.api.post(
        "/api/v1/attachments/upload", files={"file": ("note.txt", io.BytesIO(b"s3 note"))}, headers=w.me.headers
    ).json()["data"]
    sent = w.api.post(
        "/api/v1/emails/send",
        json={"to": ["bob@example.com"], "subject": "from s3", "attachment_ids": [small["id"]]},
        headers=w.me.headers,
    )
    assert sent.status_code == 200, sent.text
    attachment = sent.json()["data"]["attachments"][0]
    assert w.api.get(attachment["download_url"], headers=w.me.headers).content == b"s3 note"


@pytest.mark.property(65)
def test_expiry_on_s3_with_a_moved_clock(s3world: S3World) -> None:
    w = s3world
    loose = w.api.post("/api/v1/attachments/upload", files={"file": ("a.txt", b"a")}, headers=w.me.headers)
    kept = w.api.post("/api/v1/attachments/upload", files={"file": ("b.txt", b"b")}, headers=w.me.headers)
    loose_id, kept_id = loose.json()["data"]["id"], kept.json()["data"]["id"]
    draft = w.api.post(
        "/api/v1/emails/draft", json={"to": ["d@example.com"], "attachment_ids": [kept_id]}, headers=w.me.headers
    )
    assert draft.status_code == 201
    held_key = f"uploads/{w.me.user_id}/{kept_id}"
    assert {"Key": TEMPORARY_TAG, "Value": "false"} in w.client.get_object_tagging(Bucket=w.bucket, Key=held_key)[
        "TagSet"
    ]  # the lifecycle rule skips what a draft holds
    w.clock.advance(hours=24, seconds=1)
    result = w.container.expire_uploads().execute()
    assert result.uploads == 1
    assert w.keys() == [held_key]
    with w.container.uow() as uow:  # (the session's token expired with the moved clock: look in the store)
        assert uow.attachments.get(loose_id) is None and uow.attachments.get(kept_id) is not None


def test_the_lifecycle_rule_is_what_the_bucket_holds(s3world: S3World) -> None:
    rules = s3world.client.get_bucket_lifecycle_configuration(Bucket=s3world.bucket)["Rules"]
    assert rules[0]["ID"] == "mailagent-expire-unused-uploads" and rules[0]["Expiration"] == {"Days": 1}
    assert rules[0]["Filter"]["And"]["Tags"] == [{"Key": TEMPORARY_TAG, "Value": "true"}]
    assert timedelta(days=rules[0]["Expiration"]["Days"]) >= timedelta(hours=24)
