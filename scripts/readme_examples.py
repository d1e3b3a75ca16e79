#!/usr/bin/env python3
"""Re-run every console example of README.md and paste what the current code prints.

Usage: cargo build --release && python3 scripts/readme_examples.py
A block is a ```console fence whose first line is `$ cargo run --release -- ARGS` or
`$ vanish ARGS`; its output (stdout and stderr, as a terminal shows them) is replaced.
Timing lines differ from run to run; everything else must not.
"""
import pathlib
import re
import shlex
import subprocess

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BIN = ROOT / "target" / "release" / "vanish"

FENCE = re.compile(r"```console\n\$ (?P<cmd>[^\n]+)\n(?P<out>.*?)```", re.S)


def run(cmd: str) -> str:
    args = shlex.split(cmd)
    if args[:3] == ["cargo", "run", "--release"]:
        args = args[4:]  # drop `cargo run --release --`
    elif args[0] == "vanish":
        args = args[1:]
    else:
        raise SystemExit(f"not a vanish example: {cmd}")
    p = subprocess.run([str(BIN), *args], capture_output=True, text=True, cwd=ROOT)
    out = p.stdout + p.stderr
    if p.returncode != 0:
        out += f"(exit code {p.returncode})\n"
    return out if out.endswith("\n") else out + "\n"


def main() -> None:
    text = README.read_text()
    new = FENCE.sub(lambda m: f"```console\n$ {m['cmd']}\n{run(m['cmd'])}```", text)
    README.write_text(new)
    print(f"updated {len(FENCE.findall(text))} examples")


if __name__ == "__main__":
    main()
