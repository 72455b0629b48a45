"""Running the apps' pages in AppTest (``oversight bench`` and the tests) as a Streamlit server runs them.

A server scans the installed packages for components once and compiles each page script once for its lifetime;
AppTest, left alone, does both again for every test or every script run, which the bench would count as the page's
own time and the tests would pay ~1,700 times. ``as_a_server_does()`` makes AppTest in this process do each once.
"""
from __future__ import annotations

import functools
import os


def scan_components_once() -> None:
    """Every AppTest scans all installed packages' metadata for Streamlit components (about 2 s each time on these
    machines, Streamlit 1.67): the installed packages do not change during a run, so the scan is done once per
    process."""
    from streamlit.components.v2 import manifest_scanner

    scan = manifest_scanner.scan_component_manifests
    if not hasattr(scan, "cache_info"):
        once = functools.lru_cache(maxsize=None)(scan)
        manifest_scanner.scan_component_manifests = lambda max_workers=None: list(once())
        manifest_scanner.scan_component_manifests.cache_info = once.cache_info


def compile_scripts_once() -> None:
    """Every AppTest run makes a new ``ScriptCache``, so each run parsed its app and page files again and rewrote
    them for Streamlit's "magic" (~10 ms per run of the overview, measured: 65 → 54 ms a warm run). A server compiles
    each file once for its lifetime; so does this process now, keyed by the file's path, size and modification time
    (a file changed on disk is compiled again)."""
    from streamlit.runtime.scriptrunner import script_cache

    cls = script_cache.ScriptCache
    if getattr(cls, "_oversight_shared", False):
        return
    own = cls.get_bytecode
    shared: dict = {}

    def get_bytecode(self, script_path):
        path = os.path.abspath(script_path)
        st = os.stat(path)
        key = (path, st.st_mtime_ns, st.st_size)
        code = shared.get(key)
        if code is None:
            code = shared[key] = own(self, script_path)
        return code

    cls.get_bytecode = get_bytecode
    cls._oversight_shared = True


def as_a_server_does() -> None:
    scan_components_once()
    compile_scripts_once()


def compile_now(script_path) -> None:
    """Compile a page script before a timed run (a server has compiled it long before a view whose caches expired)."""
    from streamlit.runtime.scriptrunner import script_cache

    compile_scripts_once()
    script_cache.ScriptCache().get_bytecode(str(script_path))
