import pytest
from starcoder_attribution import (
    MAX_QUERY_CHARS,
    AttributionQueryError,
    SearchIndexError,
    SourceFile,
    TantivySearch,
    matching_lines,
    validate_query,
)
from starcoder_attribution.search import MAX_QUERY_TERMS, query_terms


def source(repo: str, path: str, content: str, license_: str = "MIT") -> SourceFile:
    return SourceFile(
        repo=repo, path=path, language="python", license=license_, stars=3, content=content
    )


FILES = [
    source("acme/net", "net/retry.py", "def retry_with_backoff(call, attempts):\n    pass\n"),
    source("acme/net", "net/http.py", "def fetch_url(url, timeout):\n    return urlopen(url)\n"),
    source(
        "other/db", "db/pool.py", "class ConnectionPool:\n    def acquire(self):\n", "BSD-3-Clause"
    ),
]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    directory = tmp_path_factory.mktemp("search")
    writer = TantivySearch.create(directory)
    assert writer.add(FILES) == 3
    writer.commit()
    return TantivySearch.open(directory)


def test_search_ranks_the_source_file_first(index):
    hits = index.search("retry_with_backoff(call, attempts)", limit=2)
    assert hits[0].source.path == "net/retry.py" and hits[0].source.license == "MIT"
    assert hits[0].score > 0 and index.count() == 3


def test_files_of_a_repo_and_of_an_owner(index):
    assert [f.path for f in index.files_of("acme/net")] == ["net/http.py", "net/retry.py"]
    assert [f.path for f in index.files_of("other")] == ["db/pool.py"]
    assert index.files_of("acme/missing") == [] and index.files_of("acme/ne") == []


def test_query_terms_follow_the_default_tokenizer():
    assert query_terms("Foo_bar(baz) + foo") == ["foo", "bar", "baz"]
    assert query_terms("x" * 41) == []
    assert len(query_terms(" ".join(f"t{i}" for i in range(1000)))) == MAX_QUERY_TERMS


def test_matching_lines_are_verbatim_lines_of_the_source():
    file = source("a/b", "c.py", "def fetch_url(url, timeout):\n    return urlopen(url)\n")
    snippet = "import os\ndef   fetch_url(url, timeout):\n  return urlopen(url)\nx = 1\n"
    assert matching_lines(snippet, file) == [2, 3]


def test_missing_search_index_is_a_clear_error(tmp_path):
    with pytest.raises(SearchIndexError, match="does not exist"):
        TantivySearch.open(tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "empty"),
        (" \n\t ", "empty"),
        (b"\xff\xfe abc", "not valid UTF-8"),
        (b"ab\x00cd", "binary"),
        ("ab\x00cd", "binary"),
        ("x" * (MAX_QUERY_CHARS + 1), "limit"),
        (123, "must be text"),
    ],
)
def test_bad_queries_are_refused(query, message):
    with pytest.raises(AttributionQueryError, match=message):
        validate_query(query)


def test_good_queries_pass_through():
    assert validate_query(b"print('h\xc3\xa9')") == "print('hé')"
