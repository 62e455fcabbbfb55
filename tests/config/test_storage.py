"""collectstatic's manifest storage: strict with the project's CSS, lenient with packages' CSS."""

import logging

import pytest
from django.core.files.storage import FileSystemStorage

from config.storage import StaticFilesStorage


@pytest.fixture
def collect(tmp_path, settings):
    """Copy the given CSS files (as collectstatic does) and post-process them; returns the
    storage and what post_process yielded."""
    own = tmp_path / "own"
    package = tmp_path / "package" / "static"
    settings.STATICFILES_DIRS = [own]
    settings.STATIC_ROOT = tmp_path / "collected"

    def _collect(files):
        storage = StaticFilesStorage()
        paths = {}
        for origin, name, css in files:
            source = own if origin == "own" else package
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            (source / name).write_text(css)
            paths[name] = (FileSystemStorage(location=source), name)
            storage.save(name, (source / name).open("rb"))
        return storage, list(storage.post_process(paths))

    return _collect


def test_a_packages_dangling_reference_is_left_as_written(collect, caplog):
    css = "@font-face { src: url('./Roboto-Thin.woff2') } .a { background: url(ok.png) }"
    with caplog.at_level(logging.WARNING, logger="config.storage"):
        storage, results = collect(
            [("package", "pkg/fonts.css", css), ("package", "pkg/ok.png", "png")]
        )
    assert not [r for r in results if isinstance(r[2], Exception)]
    written = storage.open(storage.stored_name("pkg/fonts.css")).read().decode()
    assert "url('./Roboto-Thin.woff2')" in written
    assert 'url("ok.' in written and "url(ok.png)" not in written  # the rest is still hashed
    [warning] = [r.getMessage() for r in caplog.records if r.name == "config.storage"]
    assert warning.startswith("pkg/fonts.css refers to missing files (Roboto-Thin.woff2)")


def test_the_projects_own_dangling_reference_fails_the_build(collect):
    _storage, results = collect([("own", "css/app.css", ".logo { background: url(logo.png) }")])
    errors = [r[2] for r in results if isinstance(r[2], Exception)]
    assert len(errors) == 1 and "css/logo.png" in str(errors[0])
