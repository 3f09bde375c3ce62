import pytest

from apps.repos.github import (
    InvalidRepositoryURL,
    RepoRef,
    parse_account_or_repository,
    parse_repository_url,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/octo/hello", RepoRef("octo", "hello")),
        ("http://github.com/octo/hello/", RepoRef("octo", "hello")),
        ("https://www.github.com/octo/hello", RepoRef("octo", "hello")),
        ("https://github.com/octo/hello.git", RepoRef("octo", "hello")),
        ("https://github.com/octo/hello?tab=readme#top", RepoRef("octo", "hello")),
        ("github.com/octo/hello", RepoRef("octo", "hello")),
        ("git@github.com:octo/hello.git", RepoRef("octo", "hello")),
        ("git@github.com:octo/hello", RepoRef("octo", "hello")),
        ("ssh://git@github.com/octo/hello.git", RepoRef("octo", "hello")),
        ("git://github.com/octo/hello.git", RepoRef("octo", "hello")),
        ("https://github.com/octo/hello/tree/develop", RepoRef("octo", "hello", "develop")),
        (
            "https://github.com/octo/hello/tree/main/src/app",
            RepoRef("octo", "hello", "main", "src/app"),
        ),
        (
            "https://github.com/octo/hello/blob/v2/README.md",
            RepoRef("octo", "hello", "v2", "README.md"),
        ),
        ("octo/hello", RepoRef("octo", "hello")),
        ("  Octo-Cat/hello.world_2  ", RepoRef("Octo-Cat", "hello.world_2")),
    ],
)
def test_every_form_of_a_github_repository(url, expected):
    assert parse_repository_url(url) == expected


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("https://gitlab.com/octo/hello", "not_github_url"),
        ("https://gist.github.com/octo/abc", "not_github_url"),
        ("git@bitbucket.org:octo/hello.git", "not_github_url"),
        ("https://example.com/octo/hello", "not_github_url"),
        ("https://github.com/octo", "github_url_incomplete"),
        ("https://github.com/", "github_url_incomplete"),
        ("octo", "github_url_incomplete"),
        ("https://github.com/settings/profile", "github_url_invalid"),
        ("https://github.com/-bad-/hello", "github_url_invalid"),
        ("https://github.com/octo/..", "github_url_invalid"),
        ("ftp://github.com/octo/hello", "github_url_invalid"),
        ("javascript:alert(1)", "github_url_invalid"),
        ("octo/hello/extra", "github_url_invalid"),
        ("octo hello", "github_url_invalid"),
        ("", "repository_url_required"),
    ],
)
def test_what_is_not_a_github_repository_has_a_precise_code(url, code):
    with pytest.raises(InvalidRepositoryURL) as error:
        parse_repository_url(url)
    assert error.value.code == code


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("octocat", "octocat"),
        ("@Octo-Cat", "Octo-Cat"),
        ("https://github.com/octocat", "octocat"),
        ("https://github.com/octocat/?tab=repositories", "octocat"),
        ("github.com/octocat", "octocat"),
        ("https://github.com/octocat/hello", RepoRef("octocat", "hello")),
        ("https://github.com/octocat/hello/tree/dev", RepoRef("octocat", "hello", "dev")),
    ],
)
def test_an_account_or_a_repository(value, expected):
    assert parse_account_or_repository(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "https://gitlab.com/octocat",
        "https://github.com/settings",
        "https://github.com/",
        "octo cat",
        "-octocat",
        "../octocat",
        "a" * 40,
        "",
    ],
)
def test_what_is_neither_an_account_nor_a_repository(value):
    with pytest.raises(InvalidRepositoryURL):
        parse_account_or_repository(value)
