"""Child JVM processes that never outlive the Python process that started them.

Three layers make sure no broker JVM is left behind: ``stop()`` on teardown, an ``atexit``
hook for a normal interpreter exit, and Linux's parent-death signal (``PR_SET_PDEATHSIG``) so
that even a ``kill -9`` of the test run takes its JVMs with it.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import weakref
from collections.abc import Sequence
from pathlib import Path

from kafka_utils.errors import JarsUnavailableError
from kafka_utils.timing import scaled

_LIVE: weakref.WeakSet[JvmProcess] = weakref.WeakSet()
_PR_SET_PDEATHSIG = 1


def java_executable() -> str:
    java_home = os.environ.get("JAVA_HOME")
    candidate = Path(java_home, "bin", "java") if java_home else None
    if candidate and candidate.is_file():
        return str(candidate)
    found = shutil.which("java")
    if found is None:
        raise JarsUnavailableError(
            "Java is not installed (no 'java' on PATH and no JAVA_HOME): the embedded Kafka "
            "broker and Spark both need a JDK 17 or newer (apt-get install openjdk-17-jdk)."
        )
    return found


def die_with_parent() -> None:
    """A ``preexec_fn``: the child gets SIGKILL when the thread that started it dies (Linux)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class JvmProcess:
    """One JVM running ``main_class`` with its output appended to ``log_path``."""

    def __init__(
        self,
        main_class: str,
        args: Sequence[str],
        classpath: str,
        log_path: Path,
        jvm_options: Sequence[str] = (),
    ) -> None:
        self.command = [java_executable(), *jvm_options, "-cp", classpath, main_class, *args]
        self.log_path = log_path
        self._popen: subprocess.Popen[bytes] | None = None
        self.stopped_on_purpose = False

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen else None

    def start(self) -> None:
        self.stopped_on_purpose = False
        with open(self.log_path, "ab") as log:
            self._popen = subprocess.Popen(
                self.command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=die_with_parent,
            )
        _LIVE.add(self)

    def is_running(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    def exit_code(self) -> int | None:
        return self._popen.poll() if self._popen else None

    def crashed(self) -> bool:
        """Exited although nobody asked it to stop."""
        return not self.stopped_on_purpose and self.exit_code() is not None

    def request_stop(self) -> None:
        """Send SIGTERM without waiting, so that several processes can shut down together."""
        if self._popen is not None and self._popen.poll() is None and not self.stopped_on_purpose:
            self._popen.terminate()
        self.stopped_on_purpose = True

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (a clean broker shutdown), then SIGKILL if it takes longer than ``timeout``
        (stretched by ``$KAFKA_UTILS_TIME_SCALE``)."""
        self.request_stop()
        if self._popen is None:
            return
        if self._popen.poll() is None:
            try:
                self._popen.wait(scaled(timeout))
            except subprocess.TimeoutExpired:
                self._popen.kill()
                self._popen.wait()
        _LIVE.discard(self)

    def kill(self) -> None:
        """SIGKILL at once, as a crash would."""
        self.stopped_on_purpose = True
        if self._popen is not None and self._popen.poll() is None:
            self._popen.kill()
            self._popen.wait()
        _LIVE.discard(self)

    def log_contains(self, text: str) -> bool:
        try:
            return text in self.log_path.read_text(errors="replace")
        except OSError:
            return False

    def log_tail(self, lines: int = 25) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log written)"
        return "\n".join(text.splitlines()[-lines:])


def run_tool(
    main_class: str, args: Sequence[str], classpath: str, jvm_options: Sequence[str] = ()
) -> subprocess.CompletedProcess:
    """Run a short-lived JVM tool (e.g. Kafka's StorageTool) to completion.

    C1 only and the serial collector: a storage format, before every broker start, took 1.26-1.33
    CPU-seconds with the JVM's defaults and 0.79-0.85 with them (three rounds each, side by side).
    """
    lean = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
    options = ["-Xmx256m", *lean, *jvm_options]
    command = [java_executable(), *options, "-cp", classpath, main_class, *args]
    return subprocess.run(command, capture_output=True, text=True, preexec_fn=die_with_parent)


@atexit.register
def _stop_all() -> None:
    for process in list(_LIVE):
        process.kill()
