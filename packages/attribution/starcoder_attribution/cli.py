"""``python -m starcoder_attribution``: check code against the training set from the shell.

python -m starcoder_attribution check --index outputs/attribution my_file.py
generate_code | python -m starcoder_attribution check --index outputs/attribution -
python -m starcoder_attribution in-data --index outputs/attribution some-owner/some-repo
"""

from __future__ import annotations

import argparse
import json
import sys

from .attribute import Attribution, AttributionQueryError, Attributor
from .bloom import BloomFileError
from .index_dir import IndexNotFoundError
from .search import SearchIndexError, SourceFile

OPT_OUT_HELP = (
    "To opt out, add the line '{name}' to the opt-out list the curation job reads "
    "(python ray_jobs/curate.py --optout optout.txt ...), then rerun curation, the index "
    "build and training: opted-out repos are dropped before anything else sees them."
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m starcoder_attribution")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="is this code in the training data, and where from")
    check.add_argument("file", help="file to check, or - for standard input")
    check.add_argument("--index", required=True, help="folder written by build_index.py")
    check.add_argument("--top-k", type=int, default=5, help="sources to list (5)")
    check.add_argument("--json", action="store_true", help="print the result as JSON")
    in_data = commands.add_parser("in-data", help="which files of a repo or owner are indexed")
    in_data.add_argument("name", help="owner/repo, or owner for all of an owner's repos")
    in_data.add_argument("--index", required=True, help="folder written by build_index.py")
    in_data.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser.parse_args(argv)


def read_query(file: str) -> bytes:
    if file == "-":
        return sys.stdin.buffer.read()
    with open(file, "rb") as stream:
        return stream.read()


def format_attribution(result: Attribution, snippet: str) -> str:
    verdict = "IN the training data" if result.member else "not found in the training data"
    lines = [f"{verdict}: {result.matched_fraction:.1%} of the characters matched"]
    for start, end in result.spans:
        line = snippet.count("\n", 0, start) + 1
        preview = " ".join(snippet[start:end].split())
        lines.append(f"  match at line {line}: {preview[:70]}{'...' if len(preview) > 70 else ''}")
    if result.sources:
        lines.append("closest training files (BM25):")
        for source in result.sources:
            matched = f", lines {source.matching_lines}" if source.matching_lines else ""
            lines.append(
                f"  {source.score:8.2f}  {source.repo}/{source.path}  [{source.license}]{matched}"
            )
    return "\n".join(lines)


def format_files(name: str, files: list[SourceFile]) -> str:
    if not files:
        return f"no files of '{name}' are in the training data."
    lines = [f"{len(files)} files of '{name}' are in the training data:"]
    lines += [f"  {f.repo}/{f.path}  [{f.license}]" for f in files]
    lines.append(OPT_OUT_HELP.format(name=name))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        attributor = Attributor(args.index)
        if args.command == "check":
            raw = read_query(args.file)
            result = attributor.attribute(raw, top_k=args.top_k)
            snippet = raw.decode("utf-8")
            print(
                json.dumps(result.to_dict(), indent=2)
                if args.json
                else format_attribution(result, snippet)
            )
        else:
            files = attributor.files_of(args.name)
            if args.json:
                payload = {
                    "name": args.name,
                    "files": [
                        {"repo": f.repo, "path": f.path, "license": f.license} for f in files
                    ],
                    "opt_out": OPT_OUT_HELP.format(name=args.name),
                }
                print(json.dumps(payload, indent=2))
            else:
                print(format_files(args.name, files))
    except (AttributionQueryError, IndexNotFoundError, BloomFileError, SearchIndexError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: cannot read {error.filename}: {error.strerror}", file=sys.stderr)
        return 2
    return 0
