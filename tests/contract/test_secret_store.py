"""SecretStore contract: the in-memory, local-file and Secrets Manager (moto) stores pass the same assertions."""

from __future__ import annotations

import os
import shutil
import stat
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from botocore.stub import Stubber
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from adapters.in_memory.secret_store import InMemorySecretStore
from adapters.local_secrets.secret_store import (
    LocalSecretStore,
    SecretIntegrityError,
    SecretKeyFileError,
    load_or_create_key,
)
from adapters.secrets_manager.secret_store import SecretsManagerSecretStore
from application.ports.secret_store import MAX_SECRET_VALUE_BYTES, SecretStore
from domain.errors import NotFound, ServiceUnavailable, ValidationFailed
from tests.support.moto import aws_client, moto_endpoint  # noqa: F401  (fixture)
from tests.support.properties import for_profile

ADAPTERS = ["in_memory", "local", "secrets_manager"]

# Arbitrary Unicode text (no lone surrogates: they are not text), short and at the size limit.
unicode_text = st.text(alphabet=st.characters(codec="utf-8"))
largest_values = st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=8).map(
    lambda chunk: chunk * (MAX_SECRET_VALUE_BYTES // len(chunk.encode("utf-8")))
)
secret_values = st.one_of(unicode_text, largest_values)
segment = st.from_regex(r"[A-Za-z0-9_+=.@-]{1,12}", fullmatch=True)
user_ids = st.from_regex(r"[a-z0-9]{1,6}", fullmatch=True)


def _unique_namespace() -> str:
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=ADAPTERS)
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecretStore]:
    if request.param == "in_memory":
        yield InMemorySecretStore()
    elif request.param == "local":
        directory = tmp_path_factory.mktemp("secrets")
        yield LocalSecretStore(directory / "store", load_or_create_key(directory / "keys" / "secret.key"))
    else:
        endpoint = request.getfixturevalue("moto_endpoint")
        # A fresh prefix per test keeps tests apart on the shared server.
        yield SecretsManagerSecretStore(aws_client("secretsmanager", endpoint), f"mailagent-test/{_unique_namespace()}")


# ---------------------------------------------------------------- the contract, for every adapter


@pytest.mark.property(9)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.lists(segment, min_size=1, max_size=4).map("/".join), value=secret_values)
@example(name="users/u1/oauth/google/a@example.com", value="")
@example(name="users/u1/oauth/google/a@example.com", value="x" * MAX_SECRET_VALUE_BYTES)
@example(name="users/u1/oauth/google/a@example.com", value="😀" * (MAX_SECRET_VALUE_BYTES // 4))
def test_put_then_get_round_trips_any_value(store: SecretStore, name: str, value: str) -> None:
    ref = store.put(name, value)

    assert store.get(ref) == value


def test_put_returns_the_same_ref_for_the_same_name_and_overwrites(store: SecretStore) -> None:
    first = store.put("users/u1/oauth/google/acct-1", "old-token")
    second = store.put("users/u1/oauth/google/acct-1", "new-token")

    assert first == second
    assert store.get(second) == "new-token"


def test_delete_removes_the_secret_and_is_idempotent(store: SecretStore) -> None:
    ref = store.put("users/u1/api-key", "sk-123")

    store.delete(ref)
    store.delete(ref)

    assert not store.exists(ref)
    with pytest.raises(NotFound):
        store.get(ref)


def test_a_deleted_name_can_be_stored_again(store: SecretStore) -> None:
    ref = store.put("users/u1/api-key", "first")
    store.delete(ref)

    assert store.put("users/u1/api-key", "second") == ref
    assert store.get(ref) == "second"


def test_missing_secret_is_not_found_with_a_human_message(store: SecretStore) -> None:
    ref = store.put("users/u1/present", "value")
    store.delete(ref)

    with pytest.raises(NotFound) as raised:
        store.get(ref)

    assert raised.value.message.startswith("No secret is stored")


@pytest.mark.parametrize("ref", ["", "garbage", "other-store:users/u1/x", "memory", "local:", "local:../../etc"])
def test_foreign_or_malformed_refs_are_unknown(store: SecretStore, ref: str) -> None:
    with pytest.raises(NotFound):
        store.get(ref)
    assert not store.exists(ref)
    store.delete(ref)  # no error


@pytest.mark.parametrize(
    "name",
    ["", "/users/u1", "users/u1/", "users//u1", "users/u 1", "users/ü", "users\\u1", "users/u1:x", "a" * 401],
)
def test_malformed_names_are_refused(store: SecretStore, name: str) -> None:
    with pytest.raises(ValidationFailed):
        store.put(name, "value")


def test_values_over_the_limit_are_refused_without_echoing_them(store: SecretStore) -> None:
    too_big = "é" * (MAX_SECRET_VALUE_BYTES // 2 + 1)

    with pytest.raises(ValidationFailed) as raised:
        store.put("users/u1/big", too_big)

    assert too_big not in str(raised.value)


def test_names_that_prefix_each_other_are_separate_secrets(store: SecretStore) -> None:
    parent = store.put("users/u1", "parent")
    child = store.put("users/u1/oauth", "child")
    sibling = store.put("users/u10", "sibling")

    assert (store.get(parent), store.get(child), store.get(sibling)) == ("parent", "child", "sibling")
    store.delete(parent)
    assert store.get(child) == "child"
    assert store.get(sibling) == "sibling"


@pytest.mark.property(10)
def test_a_users_ref_never_returns_another_users_value(store: SecretStore) -> None:
    # Each moto round trip costs ~10 ms, so the remote store gets fewer examples than the local ones.
    examples = 30 if isinstance(store, SecretsManagerSecretStore) else 100

    @for_profile(settings(max_examples=examples, deadline=None))
    @given(values_by_user=st.dictionaries(user_ids, unicode_text, min_size=2, max_size=4), data=st.data())
    def check(values_by_user: dict[str, str], data: st.DataObject) -> None:
        namespace = _unique_namespace()
        refs = {
            user: store.put(f"{namespace}/users/{user}/oauth/google/primary", value)
            for user, value in values_by_user.items()
        }

        assert len(set(refs.values())) == len(refs)
        for user, ref in refs.items():
            assert store.get(ref) == values_by_user[user]

        leaving = data.draw(st.sampled_from(sorted(refs)))
        store.delete(refs[leaving])
        for user, ref in refs.items():
            if user != leaving:
                assert store.get(ref) == values_by_user[user]

    check()


# ---------------------------------------------------------------- in-memory inspection helpers


def test_in_memory_store_lists_names_but_not_values() -> None:
    store = InMemorySecretStore()
    store.put("users/u2/b", "v2")
    store.put("users/u1/a", "v1")

    assert store.names == ["users/u1/a", "users/u2/b"]
    assert len(store) == 2


# ---------------------------------------------------------------- local files only


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "secret.key"


@pytest.fixture
def local_store(tmp_path: Path, key_path: Path) -> LocalSecretStore:
    return LocalSecretStore(tmp_path / "store", load_or_create_key(key_path))


def test_files_on_disk_hold_neither_the_plaintext_nor_the_name(local_store: LocalSecretStore, tmp_path: Path) -> None:
    plaintext = "ya29.refresh-token-Ω-" + "s3cr3t" * 10
    local_store.put("users/u1/oauth/google/a@example.com", plaintext)

    files = list((tmp_path / "store").iterdir())
    assert len(files) == 2  # the secret and the key check
    for path in files:
        content = path.read_bytes()
        assert plaintext.encode("utf-8") not in content
        assert b"s3cr3t" not in content
        assert b"a@example.com" not in content and "example" not in path.name


def test_secret_files_are_0600_and_the_directory_0700(local_store: LocalSecretStore, tmp_path: Path) -> None:
    old_umask = os.umask(0o000)  # even under a careless umask
    try:
        ref = local_store.put("users/u1/api-key", "value")
        local_store.put("users/u1/api-key", "overwritten")
    finally:
        os.umask(old_umask)

    assert stat.S_IMODE(local_store.path_for_ref(ref).stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "store").stat().st_mode) == 0o700
    assert not [p for p in (tmp_path / "store").iterdir() if p.name.startswith(".tmp-")]


def test_key_file_is_created_0600_in_a_0700_directory_and_reused(key_path: Path) -> None:
    key = load_or_create_key(key_path)

    assert len(key) == 32
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_path.parent.stat().st_mode) == 0o700
    assert load_or_create_key(key_path) == key


def test_group_or_world_readable_key_file_is_refused(key_path: Path) -> None:
    load_or_create_key(key_path)
    key_path.chmod(0o644)

    with pytest.raises(SecretKeyFileError, match="chmod 600"):
        load_or_create_key(key_path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"c2hvcnQ=\n", "holds a 5-byte key"),  # base64 of "short"
        (b"not base64 at all!\n", "base64-encoded"),
        (b"", "base64-encoded|0-byte"),
    ],
)
def test_key_file_of_the_wrong_length_or_format_is_refused(key_path: Path, content: bytes, message: str) -> None:
    key_path.parent.mkdir(mode=0o700)
    key_path.write_bytes(content)
    key_path.chmod(0o600)

    with pytest.raises(SecretKeyFileError, match=message):
        load_or_create_key(key_path)


def test_key_file_may_hold_32_raw_bytes(key_path: Path) -> None:
    key_path.parent.mkdir(mode=0o700)
    key_path.write_bytes(bytes(range(32)))
    key_path.chmod(0o400)

    assert load_or_create_key(key_path) == bytes(range(32))


def test_store_refuses_a_key_that_is_not_256_bits(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="256-bit"):
        LocalSecretStore(tmp_path / "store", b"k" * 16)


def test_store_refuses_a_different_key_for_an_existing_directory(local_store: LocalSecretStore, tmp_path: Path) -> None:
    local_store.put("users/u1/api-key", "value")

    with pytest.raises(SecretKeyFileError, match="different key"):
        LocalSecretStore(tmp_path / "store", os.urandom(32))


@pytest.mark.parametrize(
    "tamper",
    [
        lambda blob: blob[:-1] + bytes([blob[-1] ^ 0x01]),  # flip a bit of the tag
        lambda blob: blob[:20] + bytes([blob[20] ^ 0x80]) + blob[21:],  # flip a bit of the ciphertext
        lambda blob: blob[:10],  # truncated
        lambda blob: b"XXXX" + blob[4:],  # unknown format
        lambda blob: b"",
    ],
    ids=["tag", "ciphertext", "truncated", "magic", "empty"],
)
def test_a_tampered_file_is_a_clear_integrity_error(
    local_store: LocalSecretStore, tamper: Callable[[bytes], bytes]
) -> None:
    ref = local_store.put("users/u1/api-key", "a value long enough to have a ciphertext byte 20")
    path = local_store.path_for_ref(ref)
    path.write_bytes(tamper(path.read_bytes()))

    with pytest.raises(SecretIntegrityError) as raised:
        local_store.get(ref)

    assert "integrity" in raised.value.message
    assert "a value long enough" not in str(raised.value)


def test_files_swapped_between_names_fail_to_decrypt(local_store: LocalSecretStore) -> None:
    alice = local_store.put("users/alice/oauth/google/primary", "alice-token")
    mallory = local_store.put("users/mallory/oauth/google/primary", "mallory-token")

    shutil.copyfile(local_store.path_for_ref(alice), local_store.path_for_ref(mallory))

    with pytest.raises(SecretIntegrityError):
        local_store.get(mallory)
    assert local_store.get(alice) == "alice-token"


# ---------------------------------------------------------------- Secrets Manager only


def test_secrets_live_under_the_prefix(moto_endpoint: str) -> None:  # noqa: F811
    client = aws_client("secretsmanager", moto_endpoint)
    prefix = f"mailagent-test/{_unique_namespace()}"
    store = SecretsManagerSecretStore(client, prefix + "/")

    ref = store.put("users/u1/api-key", "value")

    assert client.describe_secret(SecretId=f"{prefix}/users/u1/api-key")["Name"] == f"{prefix}/users/u1/api-key"
    other_deployment = SecretsManagerSecretStore(client, f"mailagent-test/{_unique_namespace()}")
    with pytest.raises(NotFound):
        other_deployment.get(ref)


def test_a_secret_scheduled_for_deletion_counts_as_missing(moto_endpoint: str) -> None:  # noqa: F811
    client = aws_client("secretsmanager", moto_endpoint)
    prefix = f"mailagent-test/{_unique_namespace()}"
    store = SecretsManagerSecretStore(client, prefix)
    ref = store.put("users/u1/api-key", "value")
    client.delete_secret(SecretId=f"{prefix}/users/u1/api-key", RecoveryWindowInDays=7)

    assert not store.exists(ref)
    with pytest.raises(NotFound):
        store.get(ref)


def test_put_restores_a_secret_scheduled_for_deletion() -> None:
    # AWS refuses PutSecretValue on a secret scheduled for deletion (moto accepts it), so this path is stubbed.
    client = aws_client("secretsmanager", "http://127.0.0.1:9")
    store = SecretsManagerSecretStore(client, "mailagent")
    secret_id = "mailagent/users/u1/api-key"
    with Stubber(client) as stub:
        stub.add_client_error(
            "put_secret_value",
            service_error_code="InvalidRequestException",
            service_message="You can't perform this operation on the secret because it was marked for deletion.",
        )
        stub.add_response("restore_secret", {"Name": secret_id}, {"SecretId": secret_id})
        stub.add_response(
            "put_secret_value",
            {"Name": secret_id},
            {"SecretId": secret_id, "SecretString": "mailagent:v1:again"},
        )

        assert store.put("users/u1/api-key", "again") == "secretsmanager:users/u1/api-key"
        stub.assert_no_pending_responses()


def test_an_empty_prefix_is_refused(moto_endpoint: str) -> None:  # noqa: F811
    with pytest.raises(ValueError, match="prefix"):
        SecretsManagerSecretStore(aws_client("secretsmanager", moto_endpoint), "/")


def test_unreachable_secrets_manager_is_service_unavailable_without_the_value() -> None:
    closed_port = "http://127.0.0.1:9"  # discard port: nothing listens there
    store = SecretsManagerSecretStore(aws_client("secretsmanager", closed_port, connect_timeout=1), "mailagent")

    with pytest.raises(ServiceUnavailable) as raised:
        store.put("users/u1/api-key", "do-not-leak-me")

    assert "do-not-leak-me" not in str(raised.value)
    with pytest.raises(ServiceUnavailable):
        store.get("secretsmanager:users/u1/api-key")


@pytest.mark.parametrize("code", ["AccessDeniedException", "InternalServiceError", "DecryptionFailure"])
def test_other_secrets_manager_errors_are_service_unavailable(code: str) -> None:
    client = aws_client("secretsmanager", "http://127.0.0.1:9")
    store = SecretsManagerSecretStore(client, "mailagent")
    with Stubber(client) as stub:
        stub.add_client_error("get_secret_value", service_error_code=code, http_status_code=400)
        stub.add_client_error("put_secret_value", service_error_code=code, http_status_code=400)

        with pytest.raises(ServiceUnavailable):
            store.get("secretsmanager:users/u1/api-key")
        with pytest.raises(ServiceUnavailable) as raised:
            store.put("users/u1/api-key", "do-not-leak-me")

    assert "do-not-leak-me" not in str(raised.value)
