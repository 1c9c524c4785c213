"""stsenv's Python bootstrap.

While Python initializes, libstsenv.so shows this file's directory first on
the PYTHONPATH that Python reads (getenv), the way ddtrace-run and
opentelemetry-instrument put theirs there, so that this runs before any
user code; os.environ and children never see it (not under -E, -I or -S).
It:

- makes os.environ and os.environb read the names stsenv serves live,
  through the preload's own getenv (a name the program sets or deletes is
  its own from then on, as in C);
- makes the module-level credentials that alibabacloud_credentials reads at
  import (utils/auth_util.py) live too, when that module is imported;
- takes its directory out of sys.path, and imports the next sitecustomize
  on the path (the user's or the distribution's), if any.

It imports nothing that the interpreter has not already imported, prints
nothing, and does nothing at all in a Python that stsenv is not loaded in;
whatever fails leaves os.environ as it was.
"""


def _stsenv_bootstrap():
    import os
    import sys

    here = os.path.dirname(os.path.abspath(__file__))

    # sys.path as it would be without us.  Both sides normalised: site has
    # normalised sys.path, the preload's path may not be (/opt/s/../s).
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]

    if sys.version_info < (3, 7):
        return
    try:
        native = _load(os.path.join(os.path.dirname(here), "libstsenv.so"))
        if native is not None:
            _live_environ(os, native)
            _live_sdk_credentials(sys, os)
    except Exception:
        pass  # os.environ is swapped last, or not at all


def _load(library):
    """The preload as the module _stsenv, only if it is loaded already."""
    import os
    import sys
    import _imp

    class Spec:
        name = "_stsenv"
        origin = library

    flags = sys.getdlopenflags()
    try:
        # RTLD_NOLOAD: never a second copy in a process without the preload.
        sys.setdlopenflags(flags | os.RTLD_NOLOAD)
        return _imp.create_dynamic(Spec())
    except Exception:  # ImportError; SystemError if Python's API is out of reach
        return None
    finally:
        sys.setdlopenflags(flags)


def _live_environ(os, native):
    served = frozenset(n for n in native.served().split(",") if n)
    getenv = native.getenv
    Environ = type(os.environ)

    class LiveEnviron(Environ):
        """os.environ, reading the names stsenv serves through its getenv."""

        __slots__ = ()

        def __getitem__(self, key):
            if key in served:
                value = getenv(key)
                if value is None:
                    raise KeyError(key)
                return value
            return Environ.__getitem__(self, key)

        def __iter__(self):
            for key in Environ.__iter__(self):
                if key not in served or getenv(key) is not None:
                    yield key

        def __len__(self):
            return sum(1 for _ in self)

        def copy(self):
            return dict(self)

    class LiveEnvironB(Environ):
        """os.environb, the same in bytes."""

        __slots__ = ()

        def __getitem__(self, key):
            name = os.fsdecode(key) if isinstance(key, bytes) else None
            if name in served:
                value = getenv(name)
                if value is None:
                    raise KeyError(key)
                return os.fsencode(value)
            return Environ.__getitem__(self, key)

        def __iter__(self):
            for key in Environ.__iter__(self):
                if os.fsdecode(key) not in served or getenv(os.fsdecode(key)) is not None:
                    yield key

        def __len__(self):
            return sum(1 for _ in self)

        def copy(self):
            return dict(self)

    if not served:
        return
    getenv(next(iter(served)))  # the module answers, before anything is swapped
    os.environ.__class__ = LiveEnviron
    try:
        if hasattr(os, "environb"):
            os.environb.__class__ = LiveEnvironB
    except Exception:
        os.environ.__class__ = Environ
        raise


# alibabacloud_credentials captures these at import; made live by PEP 562.
_SDK_MODULE = "alibabacloud_credentials.utils.auth_util"
_SDK_NAMES = {
    "environment_access_key_id": "ALIBABA_CLOUD_ACCESS_KEY_ID",
    "environment_access_key_secret": "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    "environment_security_token": "ALIBABA_CLOUD_SECURITY_TOKEN",
}


def _live_sdk_credentials(sys, os):
    class Finder:
        """Wraps the loader of one module, to edit it once it has run."""

        def find_spec(self, name, path=None, target=None):
            if name != _SDK_MODULE:
                return None
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(name, path, target)
                if spec is not None and spec.loader is not None:
                    break
            else:
                return None
            run = spec.loader.exec_module

            def exec_module(module):
                run(module)
                _make_live(module, os)

            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, Finder())


def _make_live(module, os):
    captured = {k: module.__dict__.pop(k) for k in _SDK_NAMES if k in module.__dict__}
    before = module.__dict__.get("__getattr__")

    def __getattr__(name):
        env = _SDK_NAMES.get(name)
        if env is not None and name in captured:
            return os.environ.get(env)
        if before is not None:
            return before(name)
        raise AttributeError("module %r has no attribute %r" % (module.__name__, name))

    module.__getattr__ = __getattr__


def _next_sitecustomize():
    """The sitecustomize stsenv's stands in front of, as site would run it."""
    import sys

    mine = sys.modules.pop("sitecustomize", None)
    try:
        import sitecustomize  # noqa: F401  (the next one on sys.path)
    except ImportError as exc:
        if exc.name != "sitecustomize":
            raise
        if mine is not None:
            sys.modules["sitecustomize"] = mine


try:
    _stsenv_bootstrap()
finally:
    _next_sitecustomize()
