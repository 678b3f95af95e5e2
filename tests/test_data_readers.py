"""Damaged MovieLens files, named folders and interrupted cache writes: each ends in an error
naming the file and the line (or the folder, or the argument) and what to do — never a silent
wrong frame, a bare Python error, or a temporary file left behind.

The ml-100k drills damage copies of the real files (``../shared/data/ml-100k``, never committed);
the other layouts use the tiny folders of ``test_data_sizes``.
"""
import gzip
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest

from movierec_utils import data
from tests.conftest import REPO, grouplens_dir, requires_grouplens, requires_tfds
from tests.test_data_sizes import MOVIES_1M, canonical, folders, load  # noqa: F401 (fixture)

U_FILES = ("u.data", "u.item", "u.user")


def refused(message_pattern):
    return pytest.raises(data.MovieLensDataError, match=message_pattern)


@pytest.fixture
def real_100k(tmp_path, monkeypatch):
    """A copy of the real ml-100k folder to damage, with an empty cache and no tfds."""
    if grouplens_dir() is None:
        pytest.skip("no GroupLens ml-100k folder: set MOVIELENS_DIR")
    folder = tmp_path / "ml-100k"
    folder.mkdir()
    for name in U_FILES:
        shutil.copy(grouplens_dir() / name, folder / name)
    monkeypatch.setenv("MOVIEREC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "no-tfds"))
    monkeypatch.delenv("MOVIELENS_DIR", raising=False)
    return folder


def rewrite_line(path, number, edit, encoding="latin-1"):
    """Apply ``edit(line) -> line`` to 1-based line ``number`` of ``path``."""
    lines = path.read_bytes().decode(encoding).split("\n")
    lines[number - 1] = edit(lines[number - 1])
    path.write_bytes("\n".join(lines).encode(encoding))


# --------------------------------------------------------------------------- ml-100k drills
def test_u_data_cut_5_bytes_before_its_end_is_refused_naming_the_line(real_100k):
    u_data = real_100k / "u.data"
    u_data.write_bytes(u_data.read_bytes()[:-5])  # the drill: "...\t87995"
    with refused(r"u\.data ends in the middle of line 100000 \('.*87995' is not followed by "
                 r"a line break\): the file is truncated"):
        data.load_ratings("100k", path=str(real_100k), cache=False)


def test_a_timestamp_outside_the_published_period_is_refused_naming_the_line(real_100k):
    u_data = real_100k / "u.data"
    u_data.write_bytes(u_data.read_bytes()[:-5] + b"\n")  # a complete line, a 1970 time
    with refused(r"u\.data has a time outside 1997-09-19 to 1998-04-22, when MovieLens 100k's "
                 r"ratings were made \(e\.g\. 87995 = 1970-01-02\) on 1 line\(s\): 100000\."):
        data.load_grouplens(real_100k)


@pytest.mark.parametrize("name, last_line", [("u.item", 1682), ("u.user", 943)])
def test_a_truncated_movies_or_users_file_is_refused_naming_the_line(real_100k, name,
                                                                    last_line):
    path = real_100k / name
    path.write_bytes(path.read_bytes()[:-3])
    with refused(rf"{re.escape(name)} ends in the middle of line {last_line} "):
        data.load_grouplens(real_100k)


def test_a_utf8_copy_of_u_item_reads_as_the_latin1_original(real_100k):
    original_movies = data.load_grouplens(real_100k)[1]
    u_item = real_100k / "u.item"
    latin1 = u_item.read_bytes()
    u_item.write_bytes(latin1.decode("latin-1").encode("utf-8"))
    movies = data.load_grouplens(real_100k)[1]
    pd.testing.assert_frame_equal(canonical(movies), canonical(original_movies))
    assert not movies["movie_title"].str.contains("Ã").any()
    # converted twice (a UTF-8 copy read as latin-1 and saved as UTF-8 again): mojibake
    u_item.write_bytes(latin1.decode("latin-1").encode("utf-8").decode("latin-1").encode("utf-8"))
    with refused(r"u\.item line \d+ holds mojibake \('.*Ã.*'\): this copy was converted to "
                 r"UTF-8 twice"):
        data.load_grouplens(real_100k)


@pytest.mark.parametrize("name, what", [("u.item", "movie"), ("u.user", "user")])
def test_an_id_given_twice_in_a_movies_or_users_file_names_both_lines(real_100k, name, what):
    rewrite_line(real_100k / name, 10, lambda line: "1" + line[line.index("|"):])
    with refused(rf"{re.escape(name)} gives 1 {what} id\(s\) on more than one line: '1' on "
                 r"lines 1, 10\. Each"):
        data.load_grouplens(real_100k)


U_DATA_DAMAGE = {
    "a blank line": (lambda line: "", r"u\.data has an empty line on 1 line\(s\): 7\."),
    "a field lost": (lambda line: line.rsplit("\t", 1)[0], r"unreadable lines: line 7 \(3 field"),
    "a time in words": (lambda line: line.rsplit("\t", 1)[0] + "\tyesterday",
                        r"unreadable lines: line 7 \(the timestamp 'yesterday', not whole"),
    "a time of 20 digits": (lambda line: line.rsplit("\t", 1)[0] + "\t" + "9" * 20,
                            r"unreadable lines: line 7 \(the timestamp '9{20}', not whole "
                            r"seconds of at most 18 digits\)"),
    "a time 8.8e8": (lambda line: line.rsplit("\t", 1)[0] + "\t8.8e8",
                     r"unreadable lines: line 7 \(the timestamp '8\.8e8', not whole"),
    "a zero-padded user id": (lambda line: "0" + line,
                              r"has a user id that is not a positive whole number \(e\.g\. "
                              r"'0\d+'\) on 1 line\(s\): 7\."),
    "a movie id 1.0": (lambda line: re.sub(r"^(\d+)\t(\d+)", r"\1\t\2.0", line),
                       r"has a movie id that is not a positive whole number .* line\(s\): 7\."),
    "a movie id of 20 digits": (lambda line: re.sub(r"^(\d+)\t(\d+)", r"\1\t" + "9" * 20, line),
                                r"has a movie id that is not a positive whole number .* "
                                r"line\(s\): 7\."),
    "no timestamp": (lambda line: line.rsplit("\t", 1)[0] + "\t",
                     r"u\.data has no timestamp on 1 line\(s\): 7\."),
    "stars 3.5": (lambda line: re.sub(r"\t\d\t", "\t3.5\t", line),
                  r"a rating other than 1, 2, 3, 4, 5 stars on 1 line\(s\): 7\."),
}


@pytest.mark.parametrize("edit, message", U_DATA_DAMAGE.values(), ids=U_DATA_DAMAGE)
def test_a_damaged_u_data_line_is_refused_by_number(real_100k, edit, message):
    rewrite_line(real_100k / "u.data", 7, edit)
    with refused(message):
        data.load_ratings("100k", path=str(real_100k), cache=False)


U_FILE_DAMAGE = {
    "u.item genre flag 2": ("u.item", lambda line: line[:-1] + "2",
                            r"u\.item has genre flags other than 0 or 1 on 1 line\(s\): 5\."),
    "u.item a field lost": ("u.item", lambda line: line.rsplit("|", 1)[0],
                            r"u\.item has lines that are not the 24 fields .* line\(s\): 5\."),
    "u.item no title": ("u.item", lambda line: re.sub(r"^(\d+)\|[^|]*", r"\1|", line),
                        r"u\.item has an empty movie title on 1 line\(s\): 5\."),
    "u.user age -3": ("u.user", lambda line: re.sub(r"^(\d+)\|\d+", r"\1|-3", line),
                      r"u\.user has an age that is not a whole number of years .* line\(s\): 5\."),
    "u.user gender x": ("u.user", lambda line: re.sub(r"\|[MF]\|", "|x|", line),
                        r"u\.user has a gender other than M or F on 1 line\(s\): 5\."),
    "u.user occupation": ("u.user", lambda line: re.sub(r"\|[MF]\|[a-z]+", "|M|astronaut",
                                                        line),
                          r"u\.user has an occupation the MovieLens 100k list .* line\(s\): 5\."),
}


@pytest.mark.parametrize("name, edit, message", U_FILE_DAMAGE.values(), ids=U_FILE_DAMAGE)
def test_a_damaged_movies_or_users_line_is_refused_by_number(real_100k, name, edit, message):
    rewrite_line(real_100k / name, 5, edit)
    with refused(message):
        data.load_grouplens(real_100k)


@pytest.mark.parametrize("name", U_FILES)
@pytest.mark.parametrize("damage, message", [
    (lambda content: gzip.compress(content), r"is compressed \(gzip, zip, bzip2 or xz\), not "
                                             r"the text file GroupLens' zip holds: extract it"),
    (lambda content: content.decode("latin-1").encode("utf-16"),
     r"is not a text file in GroupLens' encoding \(it holds NUL bytes: binary, or re-saved as "
     r"UTF-16\)"),
], ids=["gzip", "utf-16"])
def test_a_compressed_or_utf16_file_is_named(real_100k, name, damage, message):
    path = real_100k / name
    path.write_bytes(damage(path.read_bytes()))
    with refused(rf"{re.escape(name)} {message}"):
        data.load_grouplens(real_100k)


def test_windows_line_breaks_read_the_same_frame(real_100k):
    expected = data.load_grouplens(real_100k)
    for name in U_FILES:
        path = real_100k / name
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    ratings, movies = data.load_grouplens(real_100k)
    pd.testing.assert_frame_equal(canonical(ratings), canonical(expected[0]))
    pd.testing.assert_frame_equal(canonical(movies), canonical(expected[1]))


def test_an_empty_or_unreadable_file_is_named(real_100k, monkeypatch):
    (real_100k / "u.data").write_bytes(b"")
    with refused(r"u\.data is empty: extract it again"):
        data.load_grouplens(real_100k)
    shutil.copy(grouplens_dir() / "u.data", real_100k / "u.data")
    real_read = type(real_100k).read_bytes

    def read_bytes(path):
        if path.name == "u.user":
            raise PermissionError(13, "Permission denied", str(path))
        return real_read(path)

    monkeypatch.setattr(type(real_100k), "read_bytes", read_bytes)
    with refused(r"Cannot read .*u\.user \(Permission denied\): check that it is a readable"):
        data.load_grouplens(real_100k)


# --------------------------------------------------------------------------- other layouts
def test_a_utf8_copy_of_ml_1m_reads_correctly_and_a_double_conversion_is_refused(folders):
    folder, _ = folders("1m")
    expected = load(folder, "1m", cache=False)
    movies_dat = folder / "movies.dat"
    latin1 = movies_dat.read_bytes()
    assert "Misérables, Les (1995)".encode("latin-1") in latin1
    movies_dat.write_bytes(latin1.decode("latin-1").encode("utf-8"))  # as some mirrors ship it
    frame = load(folder, "1m", cache=False)
    pd.testing.assert_frame_equal(canonical(frame), canonical(expected))
    assert "Misérables, Les (1995)" in set(frame["movie_title"])  # not "MisÃ©rables"
    movies_dat.write_bytes(latin1.decode("latin-1").encode("utf-8").decode("latin-1")
                           .encode("utf-8"))
    with refused(r"movies\.dat line 7 holds mojibake \('73::MisÃ©rables, Les \(1995\)"):
        load(folder, "1m", cache=False)


@pytest.mark.parametrize("variant", ["25m", "latest-small"])
def test_a_csv_file_in_another_encoding_is_refused_by_line(folders, variant):
    folder, _ = folders(variant)
    movies_csv = folder / "movies.csv"
    movies_csv.write_bytes(movies_csv.read_bytes().decode("utf-8").encode("latin-1"))
    with refused(r"movies\.csv line 8 is not UTF-8 \(byte 0xe9\): GroupLens writes this file "
                 r"in UTF-8"):
        load(folder, variant, cache=False)


@pytest.mark.parametrize("variant", ["1m", "latest-small"])
def test_windows_line_breaks_and_a_byte_order_mark_read_the_same_frame(folders, variant):
    folder, _ = folders(variant)
    expected = load(folder, variant, cache=False)
    for name in data.GROUPLENS_FILES[variant]:
        path = folder / name
        content = path.read_bytes().replace(b"\n", b"\r\n")
        path.write_bytes(b"\xef\xbb\xbf" + content if name.endswith(".csv") else content)
    pd.testing.assert_frame_equal(canonical(load(folder, variant, cache=False)),
                                  canonical(expected))


@pytest.mark.parametrize("variant", ["20m", "25m", "latest-small"])
def test_ratings_csv_columns_are_taken_by_their_header_names(folders, variant):
    folder, _ = folders(variant)
    expected = load(folder, variant, cache=False)
    ratings_csv = folder / "ratings.csv"
    table = pd.read_csv(ratings_csv, dtype=str)
    table[["movieId", "timestamp", "userId", "rating"]].to_csv(ratings_csv, index=False)
    pd.testing.assert_frame_equal(canonical(load(folder, variant, cache=False)),
                                  canonical(expected))
    movies_csv = folder / "movies.csv"
    movies = pd.read_csv(movies_csv, dtype=str, keep_default_na=False)
    movies[["genres", "movieId", "title"]].to_csv(movies_csv, index=False)
    pd.testing.assert_frame_equal(canonical(load(folder, variant, cache=False)),
                                  canonical(expected))


@pytest.mark.parametrize("variant", ["25m", "latest-small"])
@pytest.mark.parametrize("name", ["ratings.csv", "movies.csv"])
def test_a_csv_file_without_its_header_is_refused(folders, variant, name):
    folder, _ = folders(variant)
    path = folder / name
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[1:]), encoding="utf-8")
    with refused(rf"{re.escape(name)} line 1 is not the header naming the columns .* \(in any "
                 rf"order\); it reads '{re.escape(lines[1].strip()[:30])}"):
        load(folder, variant, cache=False)
    path.write_text(lines[0].replace("Id", "_id") + "".join(lines[1:]), encoding="utf-8")
    with refused(rf"{re.escape(name)} line 1 is not the header"):
        load(folder, variant, cache=False)


TRUNCATABLE = [("1m", name) for name in data.GROUPLENS_FILES["1m"]] + [
    (variant, name) for variant in ("20m", "25m", "latest-small")
    for name in data.GROUPLENS_FILES[variant]]


@pytest.mark.parametrize("variant, name", TRUNCATABLE)
def test_every_file_cut_mid_line_is_refused_naming_its_last_line(folders, variant, name):
    folder, _ = folders(variant)
    path = folder / name
    content = path.read_bytes()
    last_line = content.count(b"\n")  # the file ends with a line break
    path.write_bytes(content[:-4])
    with refused(rf"{re.escape(name)} ends in the middle of line {last_line} "):
        load(folder, variant, cache=False)


@pytest.mark.parametrize("variant, name, separator", [
    ("1m", "movies.dat", "::"), ("1m", "users.dat", "::"), ("25m", "movies.csv", ",")])
def test_an_id_given_twice_names_file_and_lines(folders, variant, name, separator):
    folder, _ = folders(variant)
    path = folder / name
    lines = path.read_text(encoding="latin-1" if variant == "1m" else "utf-8").split("\n")
    first = 2 if name.endswith(".csv") else 1  # the line of the first id
    duplicate = lines[first - 1].split(separator)[0]
    fields = lines[first + 2].split(separator)
    lines[first + 2] = separator.join([duplicate, *fields[1:]])
    path.write_text("\n".join(lines), encoding="latin-1" if variant == "1m" else "utf-8")
    what = "user" if name == "users.dat" else "movie"
    with refused(rf"{re.escape(name)} gives 1 {what} id\(s\) on more than one line: "
                 rf"'{duplicate}' on lines {first}, {first + 3}\. Each {what} is listed once"):
        load(folder, variant, cache=False)


@pytest.mark.parametrize("variant", ["1m", "20m", "25m", "latest-small"])  # 100k: above
def test_times_outside_each_variants_period_are_refused(folders, variant):
    folder, _ = folders(variant)
    name, separator = ("ratings.dat", "::") if variant == "1m" else ("ratings.csv", ",")
    path = folder / name
    lines = path.read_text().split("\n")
    low, high, _ = data._period(variant)
    for number, seconds in ((3, 87995), (5, high + 86_400)):
        fields = lines[number - 1].split(separator)
        lines[number - 1] = separator.join([*fields[:3], str(seconds)])
    path.write_text("\n".join(lines))
    start, end = data.RATING_PERIODS[variant]
    with refused(rf"{name} has a time outside {start} to {end or 'today'}, when MovieLens "
                 rf"{variant}'s ratings were made \(e\.g\. 87995 = 1970-01-02\) on 2 line\(s\): "
                 r"3, 5\."):
        load(folder, variant, cache=False)


def test_latest_small_cut_at_a_line_boundary_is_found_incomplete(folders, monkeypatch):
    """latest-small has no published size: a user with fewer ratings than every MovieLens
    user has (20; 4 in the tiny folder) shows lines are missing."""
    folder, ratings = folders("latest-small")
    last_user = ratings[-1][0]
    keep = len(ratings) - sum(row[0] == last_user for row in ratings) + 1
    ratings_csv = folder / "ratings.csv"
    lines = ratings_csv.read_text().splitlines(keepends=True)
    ratings_csv.write_text("".join(lines[:keep + 1]))  # the header, and one of its ratings
    with refused(rf"ratings\.csv has the ratings of 1 user\(s\) with fewer than 4 \(user "
                 rf"'{last_user}' has 1; every MovieLens user rated at least 4 movies: ratings "
                 rf"are missing\) on 1 line\(s\): {keep + 1}\."):
        load(folder, "latest-small", cache=False)


def test_every_variant_has_a_size_or_a_completeness_check():
    for variant in data.VARIANTS:
        assert variant in data.EXPECTED_COUNTS or variant in data.RATING_PERIODS
    assert data.MIN_RATINGS_PER_USER == 20  # the READMEs of all five sets


def test_the_real_100k_users_rated_at_least_20_movies_within_the_period():
    if grouplens_dir() is None:
        pytest.skip("no GroupLens ml-100k folder")
    table = pd.read_csv(grouplens_dir() / "u.data", sep="\t", header=None)
    low, high, _ = data._period("100k")
    assert table[0].value_counts().min() >= data.MIN_RATINGS_PER_USER
    assert low <= table[3].min() and table[3].max() <= high


# --------------------------------------------------------------------------- named folders
@pytest.fixture
def tiny_100k(tmp_path, monkeypatch):
    """A tiny ml-100k folder (its sizes injected as the published ones), the real tfds copy
    left visible: a named folder must win over it."""
    from tests.test_data import tiny_grouplens_100k

    folder, ratings = tiny_grouplens_100k(tmp_path, monkeypatch)
    monkeypatch.delenv("MOVIELENS_DIR", raising=False)
    return folder, len(ratings)


@requires_tfds
def test_path_and_movielens_dir_win_over_the_prepared_tfds_copy(tiny_100k, monkeypatch):
    folder, n_ratings = tiny_100k
    assert data._tfds_prepared("100k")
    assert len(data.load_ratings("100k", path=str(folder))) == n_ratings
    assert len(data.load_ratings("100k", path=folder.parent)) == n_ratings  # holds ml-100k/
    monkeypatch.setenv("MOVIELENS_DIR", str(folder))
    assert len(data.load_ratings("100k")) == n_ratings
    assert len(data.load_movies("100k")) < 1_682


@requires_tfds
def test_a_named_folder_that_does_not_exist_is_an_error_not_the_tfds_copy(tiny_100k, tmp_path,
                                                                          monkeypatch):
    missing = tmp_path / "no-such-folder"
    with refused(rf"The GroupLens folder {re.escape(str(missing))} \(named by path=\) does not "
                 r"exist\. Pass path= or set MOVIELENS_DIR to an extracted ml-100k folder"):
        data.load_ratings("100k", path=str(missing))
    monkeypatch.setenv("MOVIELENS_DIR", str(missing))
    with refused(rf"{re.escape(str(missing))} \(named by MOVIELENS_DIR\) does not exist"):
        data.load_ratings("100k")
    with refused(r"named by MOVIELENS_DIR\) does not exist"):
        data.load_movies("100k", source="grouplens")
    monkeypatch.setenv("MOVIELENS_DIR", str(tiny_100k[0]))
    with refused(r"is not a GroupLens ml-1m folder: missing ratings\.dat, movies\.dat, "
                 r"users\.dat \(the folder is named by MOVIELENS_DIR\)"):
        data.load_ratings("1m")


def test_grouplens_without_a_folder_says_how_to_name_one_and_ignores_the_current_folder(
        real_100k, monkeypatch):
    monkeypatch.chdir(real_100k)  # the current folder holds ml-100k: still not read silently
    for call in (lambda: data.load_ratings("100k", source="grouplens", cache=False),
                 lambda: data.load_grouplens()):
        with refused(r"^No GroupLens folder was named for MovieLens 100k: path= is not given "
                     r"and MOVIELENS_DIR is not set\. Pass path= or set MOVIELENS_DIR to an "
                     r"extracted ml-100k folder \(the one holding u\.data, u\.item, u\.user\)"):
            call()


def test_a_path_that_is_a_file_or_empty_or_for_tfds_is_refused(real_100k):
    with refused(r"u\.data \(named by path=\) is a file, not a folder: name the folder that "
                 r"holds u\.data, u\.item, u\.user"):
        data.load_ratings("100k", path=str(real_100k / "u.data"), cache=False)
    with refused(r"path= is empty \(''\): it names no folder\. Pass path="):
        data.load_ratings("100k", path="", cache=False)
    with refused(r"The GroupLens folder ml-100k\x00 \(named by path=\) does not exist\. Pass"):
        data.load_ratings("100k", path="ml-100k\x00", cache=False)
    with pytest.raises(ValueError, match=r"path=.* names a GroupLens folder, but source='tfds' "
                                         r"reads tfds' prepared data"):
        data.load_ratings("100k", source="tfds", path=str(real_100k))


# --------------------------------------------------------------------------- arguments
BAD_ARGUMENTS = {
    "variant 100": (dict(variant=100), ValueError, r"variant must be one of \('100k'"),
    "variant list": (dict(variant=["100k"]), ValueError, r"variant must be one of"),
    "source None": (dict(source=None), ValueError, r"source must be 'auto', 'tfds' or "
                                                   r"'grouplens', got None"),
    "path 5": (dict(path=5), TypeError, r"path must be a folder name \(str or pathlib\.Path\) "
                                        r"or None, got int 5"),
    "cache 'yes'": (dict(cache="yes"), TypeError, r"cache must be True or False, got str 'yes'"),
    "compact 'no'": (dict(compact="no"), TypeError, r"compact must be True, False or None"),
}


@pytest.mark.parametrize("arguments, error, message", BAD_ARGUMENTS.values(), ids=BAD_ARGUMENTS)
def test_bad_loader_arguments_name_the_argument(arguments, error, message):
    with pytest.raises(error, match=message):
        data.load_ratings(**arguments)


def test_public_helpers_refuse_what_they_cannot_measure():
    with pytest.raises(ValueError, match=r"invalid_rating_rows needs a ratings DataFrame with a "
                                         r"user_rating column .* got list"):
        data.invalid_rating_rows([4.0, 5.0])
    with pytest.raises(ValueError, match=r"stars must be a sequence of star values"):
        data.invalid_rating_rows(pd.DataFrame({"user_rating": [4.0]}), stars=["many"])
    with pytest.raises(ValueError, match=r"memory_bytes measures a pandas DataFrame, got str"):
        data.memory_bytes("ratings")
    with pytest.raises(TypeError, match=r"path must be a folder name"):
        data.load_grouplens(path=3.5)


# --------------------------------------------------------------------------- cache temporaries
@pytest.fixture
def tiny_loader(tiny_100k, tmp_path, monkeypatch):
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "no-tfds"))
    folder, _ = tiny_100k
    return lambda: data.load_ratings("100k", path=str(folder))


def leftovers(tmp_path):
    return sorted(path.name for path in (tmp_path / "cache").glob("*")
                  if not path.name.endswith(".pkl"))


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit, MemoryError])
def test_an_interrupted_cache_write_leaves_no_temporary(tiny_loader, tmp_path, monkeypatch,
                                                        interrupt):
    def replace(source, target):
        raise interrupt()

    monkeypatch.setattr(data.os, "replace", replace)
    with pytest.raises(interrupt):
        tiny_loader()
    assert (tmp_path / "cache").is_dir() and leftovers(tmp_path) == []


@pytest.mark.slow  # a second Python process: about 3 s
@pytest.mark.parametrize("kill", ["SIGKILL", "SIGINT"])
def test_a_cache_writer_killed_mid_write_leaves_nothing_after_the_next_load(
        tiny_100k, tmp_path, kill):
    """SIGKILL: nothing can clean up, so the next load removes the temporary (its writer is
    gone). SIGINT (Ctrl-C): the writer removes it itself."""
    folder, n_ratings = tiny_100k
    cache = tmp_path / "cache"
    script = textwrap.dedent(f"""
        import os, signal, sys, time
        # Ctrl-C raises KeyboardInterrupt even where the runner was started with SIGINT ignored
        # (a background job of a non-interactive shell, as CI is), which the child would inherit
        signal.signal(signal.SIGINT, signal.default_int_handler)
        from movierec_utils import data
        data.EXPECTED_COUNTS["100k"] = {data.EXPECTED_COUNTS["100k"]!r}
        def replace(source, target):  # stop between writing the temporary and renaming it
            print("written", flush=True)
            time.sleep(600)
        data.os.replace = replace
        data.load_ratings("100k", path={str(folder)!r})
    """)
    environment = {**os.environ, "MOVIEREC_CACHE_DIR": str(cache),
                   "TFDS_DATA_DIR": str(tmp_path / "no-tfds"), "PYTHONPATH": str(REPO)}
    environment.pop("MOVIELENS_DIR", None)
    writer = subprocess.Popen([sys.executable, "-c", script], env=environment,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert writer.stdout.readline().strip() == "written"
        written = leftovers(tmp_path)
        assert len(written) == 1 and written[0].startswith(".movierec-writing-")
        assert f"-{writer.pid}-" in written[0]
        writer.send_signal(getattr(signal, kill))
        writer.wait(timeout=60)
    finally:
        if writer.poll() is None:
            writer.kill()
    assert leftovers(tmp_path) == (written if kill == "SIGKILL" else [])
    ratings = data.load_ratings("100k", path=str(folder))
    assert len(ratings) == n_ratings and leftovers(tmp_path) == []
    assert len(list(cache.glob("*.pkl"))) == 1


def test_only_provably_abandoned_temporaries_are_removed(tiny_loader, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    host, prefix = data.socket.gethostname(), data._TEMPORARY_PREFIX
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
    gone = int(finished.stdout)  # a process that has ended
    files = {
        "dead writer": f"{prefix}{host}-{gone}-0a1b2c3d.tmp",
        "live writer (this process)": f"{prefix}{host}-{os.getpid()}-0a1b2c3d.tmp",
        "another host's": f"{prefix}elsewhere-{gone}-0a1b2c3d.tmp",
        "old legacy": "tmpab12cd34.tmp",
        "fresh legacy": "tmpzz98yy76.tmp",
        "not ours": "notes.txt",
    }
    for name in files.values():
        (cache / name).write_bytes(b"partial")
    old = time.time() - 2 * 3600
    os.utime(cache / files["old legacy"], (old, old))
    tiny_loader()
    assert leftovers(tmp_path) == sorted(files[key] for key in (
        "live writer (this process)", "another host's", "fresh legacy", "not ours"))


def test_a_full_disk_while_caching_only_costs_speed(tiny_loader, tmp_path, monkeypatch):
    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, descriptor, mode):
            self.file = real_fdopen(descriptor, mode)

        def __enter__(self):
            return self

        def __exit__(self, *exception):
            self.file.close()

        def write(self, content):
            self.file.write(content[:100])
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(data.os, "fdopen", FullDisk)
    assert len(tiny_loader()) > 0
    assert leftovers(tmp_path) == []
    monkeypatch.setattr(data.os, "fdopen", real_fdopen)
    assert np.isfinite(tiny_loader()["user_rating"]).all()
