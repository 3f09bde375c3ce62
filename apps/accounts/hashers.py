from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    """Argon2id with OWASP's recommended minimum (19 MiB, 2 iterations, 1 lane).

    Django's defaults (100 MiB, 8 lanes) cost ~300 ms of a 2-core machine per login or signup;
    these parameters keep brute force expensive at ~35 ms. Same algorithm name, so hashes made
    with other parameters still verify and are upgraded on the next login.
    """

    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1
