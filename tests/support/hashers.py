"""A real password hasher that counts its work, for tests that must see a hash happen."""

from django.contrib.auth.hashers import MD5PasswordHasher


class CountingMD5PasswordHasher(MD5PasswordHasher):
    """MD5 (the test settings' hasher, same algorithm name) counting every hash it computes."""

    hashes = 0

    def encode(self, password, salt):
        type(self).hashes += 1
        return super().encode(password, salt)
