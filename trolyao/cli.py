"""`trolyao`: run, train, check content and evaluate (CONTRACT.md sections 3-5)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from trolyao import paths


def _content_check(args: argparse.Namespace) -> int:
    from trolyao.content import check_content

    report = check_content(Path(args.dir))
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        for problem in report.errors:
            print(problem)
        status = "hợp lệ" if report.ok else f"có {len(report.errors)} lỗi"
        print(f"Nội dung {status}: {len(report.procedures)} thủ tục, {len(report.localities)} địa phương.")
    return 0 if report.ok else 1


def _content_export(args: argparse.Namespace) -> int:
    from trolyao.content import ContentError
    from trolyao.content.spreadsheet import content_error_lines, export_message, export_xlsx

    try:
        print(export_message(export_xlsx(Path(args.dir), Path(args.file))))
    except ContentError as exc:
        print("\n".join(content_error_lines(exc)), file=sys.stderr)
        return 1
    return 0


def _content_import(args: argparse.Namespace) -> int:
    from trolyao.content.spreadsheet import import_messages, import_xlsx

    report = import_xlsx(Path(args.dir), Path(args.file))
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        print("\n".join(import_messages(report)))
    return 0 if report.ok else 1


def _content_import_dvc(args: argparse.Namespace) -> int:
    from trolyao.content.dvc_import import import_dvc, import_message

    try:
        path = import_dvc(Path(args.file), Path(args.dir), slug=args.slug, output=Path(args.output) if args.output else None)
    except (ValueError, FileExistsError, OSError) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print("\n".join(import_message(path, Path(args.dir))))
    return 0


def _train(args: argparse.Namespace) -> int:
    from trolyao.training import train

    train(force=args.force)
    return 0


def _run(args: argparse.Namespace) -> int:
    from trolyao.stack import Stack, run_forever
    from trolyao.training import train

    run_forever(Stack(model=train()))
    return 0


def _eval_nlu(args: argparse.Namespace) -> int:
    from nlu.retrieval import ProcedureIndex
    from trolyao.content import load_content
    from trolyao.evaluation import nlu_eval
    from trolyao.training import model_path, train

    items = nlu_eval.read_items(Path(args.file), strip=args.strip_accents)
    model = model_path()
    if not model.exists():
        print("Chưa có mô hình cho dữ liệu hiện tại; đang huấn luyện...", file=sys.stderr)
        model = train(log=sys.stderr)
    procedures = load_content(paths.CONTENT).procedures.values()
    index = ProcedureIndex.from_content(procedures)
    parser = nlu_eval.RasaParser(model)
    parser("xin chào")  # warm-up: first calls load lazily-imported models
    index.search("xin chào")
    predictions = nlu_eval.predict_all(items, parser, index.search)
    result = nlu_eval.score(items, predictions)
    rows = {"ours": result}

    baselines = sorted(set(args.baseline or []))
    if baselines:
        from trolyao.evaluation.baselines import FuzzyRetriever, stock_model

        fuzzy = FuzzyRetriever(procedures)
        fuzzy_answer = lambda intent, c: c[0].slug if fuzzy.confident(c) else None  # noqa: E731
        if "stock" in baselines:
            stock = nlu_eval.RasaParser(stock_model())
            stock("xin chào")
            rows["stock"] = nlu_eval.score(items, nlu_eval.predict_all(items, stock, fuzzy.search, fuzzy_answer))
        if "fuzzy" in baselines:
            rows["fuzzy"] = nlu_eval.score(items, nlu_eval.predict_all(items, parser, fuzzy.search, fuzzy_answer))
        result = {**result, "baselines": {k: v for k, v in rows.items() if k != "ours"}}

    if args.chart:
        from trolyao.evaluation.charts import nlu_chart

        title = f"{Path(args.file).name}{' (bỏ dấu)' if args.strip_accents else ''}: n={result['n']}"
        nlu_chart(rows, Path(args.chart), title)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(nlu_eval.table(rows))
        print()
        print(nlu_eval.confusion_summary(items, predictions))
    return 0


def _eval_conversations(args: argparse.Namespace) -> int:
    from trolyao.evaluation.conversations import replay

    stack = None
    url = args.url
    if not url:
        from trolyao.stack import Stack
        from trolyao.training import train

        stack = Stack(model=train(log=sys.stderr))
        print("Đang khởi động hệ thống để chạy hội thoại kiểm thử...", file=sys.stderr, flush=True)
        stack.start()
        stack.wait_ready()
        url = stack.gateway_url
    try:
        summary, _ = replay(Path(args.file), url)
    finally:
        if stack is not None:
            stack.stop()
    print(json.dumps(summary, ensure_ascii=False, indent=None if args.json else 2))
    return 0 if summary["turns_passed"] == summary["turns"] else 1


def _dossiers_import(args: argparse.Namespace) -> int:
    from trolyao.dossiers import import_file
    from trolyao.store import Store

    result = import_file(Path(args.file), Store.from_env())
    for reason in result.skipped:
        print(f"Bỏ qua {reason}", file=sys.stderr)
    print(f"Đã nhập {len(result.rows)} hồ sơ; bỏ qua {len(result.skipped)} dòng.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trolyao", description="Trợ lý ảo thủ tục hành chính")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("run", help="start Rasa (5005), the action server (5055) and the gateway (8000)").set_defaults(func=_run)

    train = sub.add_parser("train", help="train the Rasa model if its inputs changed")
    train.add_argument("--force", action="store_true", help="train even if a model for these inputs exists")
    train.set_defaults(func=_train)

    content = sub.add_parser("content", help="officers' content tools").add_subparsers(dest="content_command", required=True)
    check = content.add_parser("check", help="validate content files")
    check.add_argument("dir", nargs="?", default=str(paths.CONTENT))
    check.add_argument("--json", action="store_true")
    check.set_defaults(func=_content_check)
    export = content.add_parser("export", help="FAQs and main facts of all procedures to an .xlsx file")
    export.add_argument("file")
    export.add_argument("--dir", default=str(paths.CONTENT))
    export.set_defaults(func=_content_export)
    content_import = content.add_parser("import", help="apply an edited .xlsx back to the content files")
    content_import.add_argument("file")
    content_import.add_argument("--dir", default=str(paths.CONTENT))
    content_import.add_argument("--json", action="store_true")
    content_import.set_defaults(func=_content_import)
    dvc = content.add_parser("import-dvc", help="draft a procedure file from a national-portal record (JSON)")
    dvc.add_argument("file")
    dvc.add_argument("--slug", help="the procedure's slug (derived from its name when absent)")
    dvc.add_argument("--output", help="where to write the draft (default content/drafts/<slug>.yml)")
    dvc.add_argument("--dir", default=str(paths.CONTENT))
    dvc.set_defaults(func=_content_import_dvc)

    dossiers = sub.add_parser("dossiers", help="dossier status data").add_subparsers(dest="dossiers_command", required=True)
    dossier_import = dossiers.add_parser("import", help="import the one-stop system's CSV export")
    dossier_import.add_argument("file")
    dossier_import.set_defaults(func=_dossiers_import)

    evaluate = sub.add_parser("eval", help="score test sets").add_subparsers(dest="eval_command", required=True)
    nlu = evaluate.add_parser("nlu", help="intent and procedure accuracy on an NLU test file")
    nlu.add_argument("file")
    nlu.add_argument("--json", action="store_true")
    nlu.add_argument("--strip-accents", action="store_true", help="score an accent-stripped copy")
    nlu.add_argument(
        "--baseline",
        action="append",
        choices=["stock", "fuzzy"],
        help="also score the stock Rasa pipeline (+ plain rapidfuzz) or plain rapidfuzz retrieval; repeatable",
    )
    nlu.add_argument("--chart", metavar="PNG", help="also draw the results (and baselines) as a bar chart")
    nlu.set_defaults(func=_eval_nlu)
    conv = evaluate.add_parser("conversations", help="replay conversation tests through the gateway")
    conv.add_argument("file")
    conv.add_argument("--url", help="a running gateway; the stack is started when absent")
    conv.add_argument("--json", action="store_true")
    conv.set_defaults(func=_eval_conversations)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
