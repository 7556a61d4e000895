#!/usr/bin/env python3
"""Extract the TensorFlow C library and the C API headers from a tensorflow-cpu wheel.

Usage: extract-tf.py WHEEL DEST

Writes DEST/lib/{libtensorflow_cc.so.2,libtensorflow_framework.so.2} and
DEST/include/<the header closure of the C and eager C API>. Only the headers
reachable from the C API roots are extracted (a few dozen files instead of the
~10,000 C++ headers the wheel ships).
"""
import re
import shutil
import sys
import zipfile
from pathlib import Path

LIBRARIES = ("libtensorflow_cc.so.2", "libtensorflow_framework.so.2")
INCLUDE_PREFIX = "tensorflow/include/"
# Headers the tfjs-node binding includes directly.
HEADER_ROOTS = (
    "tensorflow/c/c_api.h",
    "tensorflow/c/eager/c_api.h",
    "tensorflow/c/tf_datatype.h",
    "tensorflow/c/tf_status.h",
    "tensorflow/c/tf_tensor.h",
    "tensorflow/core/platform/ctstring.h",
    "tensorflow/core/platform/ctstring_internal.h",
)
QUOTED_INCLUDE = re.compile(rb'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)


def fail(message: str) -> None:
    print(f"extract-tf: {message}", file=sys.stderr)
    sys.exit(1)


def header_closure(wheel: zipfile.ZipFile) -> list[str]:
    available = {
        name[len(INCLUDE_PREFIX):]
        for name in wheel.namelist()
        if name.startswith(INCLUDE_PREFIX) and not name.endswith("/")
    }
    missing_roots = [root for root in HEADER_ROOTS if root not in available]
    if missing_roots:
        fail(
            "the wheel has no C API headers "
            + ", ".join(INCLUDE_PREFIX + r for r in missing_roots)
            + " (pick a tensorflow-cpu version >= 2.12)"
        )
    seen: set[str] = set()
    pending = list(HEADER_ROOTS)
    while pending:
        header = pending.pop()
        if header in seen:
            continue
        seen.add(header)
        text = wheel.read(INCLUDE_PREFIX + header)
        for included in QUOTED_INCLUDE.findall(text):
            name = included.decode()
            # System and third-party headers not shipped under include/ are
            # left to the compiler's own search path.
            if name in available and name not in seen:
                pending.append(name)
    return sorted(seen)


def main() -> None:
    if len(sys.argv) != 3:
        fail("usage: extract-tf.py WHEEL DEST")
    wheel_path, dest = Path(sys.argv[1]), Path(sys.argv[2])
    try:
        wheel = zipfile.ZipFile(wheel_path)
    except (OSError, zipfile.BadZipFile) as error:
        fail(f"cannot open wheel {wheel_path}: {error}")

    with wheel:
        names = set(wheel.namelist())
        for library in LIBRARIES:
            if f"tensorflow/{library}" not in names:
                fail(
                    f"{wheel_path.name} has no tensorflow/{library}; "
                    "tensorflow-cpu wheels ship it from 2.12 on"
                )
        headers = header_closure(wheel)

        staging = dest.with_name(dest.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        (staging / "lib").mkdir(parents=True)
        for library in LIBRARIES:
            target = staging / "lib" / library
            with wheel.open(f"tensorflow/{library}") as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out, 16 * 1024 * 1024)
            print(f"  extracted lib/{library} ({target.stat().st_size / 1e6:.0f} MB)")
        for header in headers:
            target = staging / "include" / header
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(wheel.read(INCLUDE_PREFIX + header))
        print(f"  extracted {len(headers)} C API headers")

    shutil.rmtree(dest, ignore_errors=True)
    staging.rename(dest)


if __name__ == "__main__":
    main()
