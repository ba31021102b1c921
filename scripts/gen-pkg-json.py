#!/usr/bin/env python3
"""Write pkg/package.json from the pkg.json template with Cargo.toml's version.

Usage: gen-pkg-json.py TEMPLATE CARGO_TOML OUT
"""
import json
import re
import sys


def cargo_version(path):
    with open(path, "rb") as f:
        data = f.read()
    try:
        import tomllib  # Python >= 3.11

        return tomllib.loads(data.decode("utf-8"))["package"]["version"]
    except ImportError:
        # Fallback: first `version = "..."` inside the [package] table.
        text = data.decode("utf-8")
        section = re.search(r"^\[package\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
        m = section and re.search(r'^version\s*=\s*"([^"]+)"', section.group(1), re.M)
        if not m:
            sys.exit(f"gen-pkg-json: no [package] version in {path}")
        return m.group(1)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    template, cargo_toml, out = sys.argv[1:]
    with open(template, encoding="utf-8") as f:
        pkg = json.load(f)
    version = cargo_version(cargo_toml)
    if not isinstance(version, str):
        sys.exit(f"gen-pkg-json: unsupported version entry in {cargo_toml}: {version!r}")
    pkg["version"] = version
    with open(out, "w", encoding="utf-8") as f:
        json.dump(pkg, f, indent=2)
        f.write("\n")
    print(f"wrote {out} ({pkg['name']}@{version})")


if __name__ == "__main__":
    main()
