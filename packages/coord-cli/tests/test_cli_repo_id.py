"""Repo ids from origin URLs (ssh and https forms), else from the directory name."""

from __future__ import annotations

import pytest

from coord_cli.repo_id import from_directory, from_remote_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("git@github.com:acme/web.git", "acme/web"),
        ("git@github.com:acme/web", "acme/web"),
        ("github.com:acme/web.git", "acme/web"),
        ("ssh://git@github.com/acme/web.git", "acme/web"),
        ("ssh://git@gitlab.example.com:2222/group/sub/web.git", "group/sub/web"),
        ("https://github.com/acme/web.git", "acme/web"),
        ("https://token@github.com/acme/web/", "acme/web"),
        ("http://git.local/acme/web", "acme/web"),
        ("git://example.org/acme/web.git", "acme/web"),
        ("ssh://host/~alex/dotfiles.git", "alex/dotfiles"),
        ("https://dev.example/acme/my web!.git", "acme/my-web"),
    ],
)
def test_network_remotes_give_their_path(url: str, expected: str) -> None:
    assert from_remote_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "/srv/git/web.git",
        "../web.git",
        "file:///srv/git/web.git",
        "C:\\repos\\web",
        "https://host/",
    ],
)
def test_local_remotes_give_nothing(url: str) -> None:
    assert from_remote_url(url) is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [("shop", "shop"), ("my shop", "my-shop"), (".hidden", "hidden"), ("___", "repo")],
)
def test_directory_names_become_one_segment(name: str, expected: str) -> None:
    assert from_directory(name) == expected
