"""Secrets at rest: EncryptedTextField stores Fernet ciphertext, and key rotation keeps old
values readable."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.db import connection, models
from django.test import override_settings

from apps.core import encryption
from apps.core.encryption import EncryptedTextField

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


class Secret(models.Model):
    """A table that exists only for this module's tests (created and dropped per test)."""

    value = EncryptedTextField(blank=True, null=True)

    class Meta:
        app_label = "core"
        db_table = "test_encrypted_secret"


@pytest.fixture
def secret_table(db):
    with connection.schema_editor() as editor:
        editor.create_model(Secret)
    return Secret  # the test transaction rolls the table back with everything else


@pytest.fixture(autouse=True)
def _fresh_fernet():
    encryption._fernet.cache_clear()
    yield
    encryption._fernet.cache_clear()


def raw_value(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM test_encrypted_secret WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY])
def test_field_round_trip_stores_ciphertext(secret_table):
    row = secret_table.objects.create(value="ghp_s3cretGitHubToken")

    assert secret_table.objects.get(pk=row.pk).value == "ghp_s3cretGitHubToken"
    stored = raw_value(row.pk)
    assert stored != "ghp_s3cretGitHubToken"
    assert "s3cret" not in stored
    assert Fernet(NEW_KEY.encode()).decrypt(stored.encode()) == b"ghp_s3cretGitHubToken"


@override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY])
def test_same_plaintext_encrypts_differently_each_time(secret_table):
    first = secret_table.objects.create(value="same")
    second = secret_table.objects.create(value="same")

    assert raw_value(first.pk) != raw_value(second.pk)


@override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY])
def test_empty_and_null_are_stored_as_is(secret_table):
    empty = secret_table.objects.create(value="")
    null = secret_table.objects.create(value=None)

    assert (raw_value(empty.pk), raw_value(null.pk)) == ("", None)
    assert secret_table.objects.get(pk=empty.pk).value == ""
    assert secret_table.objects.get(pk=null.pk).value is None


def test_value_written_with_an_old_key_reads_after_rotation(secret_table):
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]):
        row = secret_table.objects.create(value="written-long-ago")
    old_ciphertext = raw_value(row.pk)

    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        assert secret_table.objects.get(pk=row.pk).value == "written-long-ago"
        rotated = encryption.rotate(old_ciphertext)

    assert rotated != old_ciphertext
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]):
        assert encryption.decrypt(rotated) == "written-long-ago"
        with pytest.raises(ValueError, match="cannot be decrypted"):
            secret_table.objects.get(pk=row.pk)


def test_new_values_use_the_first_key():
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        token = encryption.encrypt("fresh")

    assert Fernet(NEW_KEY.encode()).decrypt(token.encode()) == b"fresh"
    with pytest.raises(InvalidToken):
        Fernet(OLD_KEY.encode()).decrypt(token.encode())


def test_without_configured_keys_a_key_is_derived_from_the_secret_key(settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    token = encryption.encrypt("dev value")

    assert encryption.decrypt(token) == "dev value"
    settings.SECRET_KEY = "another-secret-key-entirely-0123456789"
    encryption._fernet.cache_clear()
    with pytest.raises(ValueError, match="cannot be decrypted"):
        encryption.decrypt(token)


def test_garbage_is_a_clear_error():
    with (
        override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]),
        pytest.raises(ValueError, match="cannot be decrypted with the configured keys"),
    ):
        encryption.decrypt("not-a-fernet-token")
