"""`trolyao`: run, train, check content and evaluate (CONTRACT.md sections 3-5)."""

from __future__ import annotations

import argparse
import json
import sys
from functools import lru_cache
from pathlib import Path

from trolyao.settings import StackSettings
from tthc import paths


@lru_cache(maxsize=1)
def _settings() -> StackSettings:
    """This command's one settings object, read on first use."""
    return StackSettings.from_env()


def _content_check(args: argparse.Namespace) -> int:
    """Errors make the exit code non-zero; warnings (disagreements with the official records of
    the catalogue) never do."""
    from tthc.catalogue.store import ministry_files
    from tthc.content import check_content

    catalogue = Path(args.catalogue) if args.catalogue else Path(args.dir)
    if not args.catalogue and not ministry_files(catalogue):
        catalogue = paths.CONTENT  # a content copy without its catalogue: compare with the repository's
    report = check_content(Path(args.dir), catalogue=catalogue)
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        for problem in report.errors:
            print(problem)
        for warning in report.warnings:
            print(f"{warning.file}:{warning.line}:{warning.column}: cảnh báo: {warning.message}")
        status = "hợp lệ" if report.ok else f"có {len(report.errors)} lỗi"
        print(f"Nội dung {status}: {len(report.procedures)} thủ tục, {len(report.localities)} địa phương.")
        if report.warnings:
            count = len(report.warnings)
            print(f"{count} cảnh báo khác bản ghi chính thức (không phải lỗi; xem content/README.md, mục 4).")
    return 0 if report.ok else 1


def _content_export(args: argparse.Namespace) -> int:
    from tthc.content import ContentError
    from tthc.content.spreadsheet import content_error_lines, export_message, export_xlsx

    try:
        print(export_message(export_xlsx(Path(args.dir), Path(args.file))))
    except ContentError as exc:
        print("\n".join(content_error_lines(exc)), file=sys.stderr)
        return 1
    return 0


def _content_import(args: argparse.Namespace) -> int:
    from tthc.content.spreadsheet import import_messages, import_xlsx

    report = import_xlsx(Path(args.dir), Path(args.file))
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        print("\n".join(import_messages(report)))
    return 0 if report.ok else 1


def _content_import_dvc(args: argparse.Namespace) -> int:
    from tthc.content.dvc_import import import_dvc, import_message

    try:
        path = import_dvc(
            Path(args.file), Path(args.dir), slug=args.slug, output=Path(args.output) if args.output else None
        )
    except (ValueError, FileExistsError, OSError) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print("\n".join(import_message(path, Path(args.dir))))
    return 0


def _content_promote(args: argparse.Namespace) -> int:
    """A DRAFT curated file (content/drafts/<slug>.yml) from a procedure of the catalogue."""
    from tthc.catalogue.store import CatalogueError, load_catalogue
    from tthc.content import ContentError, load_content
    from tthc.content.catalogue_draft import PromoteError, curated_codes, promote
    from tthc.content.dvc_import import import_message

    content = Path(args.dir)
    try:
        procedure = load_catalogue(content).get(args.code.strip())
        cited = curated_codes(load_content(content, with_catalogue=False).procedures.values())
    except (CatalogueError, ContentError, OSError) as exc:
        print(f"Không đọc được nội dung hoặc danh mục: {exc}", file=sys.stderr)
        return 1
    if procedure is None:
        missing = f"Danh mục không có thủ tục mã {args.code.strip()!r}; tìm mã trên trang Danh mục thủ tục."
        print(missing, file=sys.stderr)
        return 1
    try:
        path = promote(procedure, content, slug=args.slug, cited=cited)
    except (PromoteError, OSError) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print("\n".join(import_message(path, content)))
    return 0


def _prepare_search_index() -> None:
    """Build the whole-catalogue search index once, so the processes load it at start instead
    of each building it (var/build/search/, named by the content's hash)."""
    import time

    from tthc.content import load_content
    from tthc.search.live import search_of

    started = time.monotonic()
    settings = _settings()
    search = search_of(load_content(settings.content_dir), settings.var_dir / "build" / "search")
    print(
        f"Chỉ mục tìm kiếm: {len(search.index.docs)} thủ tục, {time.monotonic() - started:.1f} giây.", file=sys.stderr
    )


def _train(args: argparse.Namespace) -> int:
    from trolyao.training import train

    train(force=args.force)
    _prepare_search_index()
    return 0


def _run(args: argparse.Namespace) -> int:
    from trolyao.stack import Stack, run_forever
    from trolyao.training import train

    model = train()
    _prepare_search_index()
    run_forever(Stack(model=model))
    return 0


def _eval_nlu(args: argparse.Namespace) -> int:
    from trolyao.evaluation import nlu_eval
    from trolyao.training import model_path, train
    from tthc.content import load_content
    from tthc.procedure_codes import codes_of
    from tthc.retrieval import ProcedureIndex
    from tthc.search.live import search_of

    try:
        items = nlu_eval.read_items(Path(args.file), strip=args.strip_accents)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    model = model_path()
    if not model.exists():
        print("Chưa có mô hình cho dữ liệu hiện tại; đang huấn luyện...", file=sys.stderr)
        model = train(log=sys.stderr)
    base = load_content(paths.CONTENT)
    procedures = base.procedures.values()
    codes = lambda procedure_id: codes_of(procedure_id, base)  # noqa: E731
    # What the action server looks at: the whole-catalogue search and the curated retriever.
    search = nlu_eval.our_search(
        search_of(base, _settings().var_dir / "build" / "search"), ProcedureIndex.from_content(procedures)
    )
    parser = nlu_eval.RasaParser(model)
    parser("xin chào")  # warm-up: first calls load lazily-imported models
    search("xin chào")
    predictions = nlu_eval.predict_all(items, parser, search, codes=codes)
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
            rows["stock"] = nlu_eval.score(items, nlu_eval.predict_all(items, stock, fuzzy.search, fuzzy_answer, codes))
        if "fuzzy" in baselines:
            rows["fuzzy"] = nlu_eval.score(
                items, nlu_eval.predict_all(items, parser, fuzzy.search, fuzzy_answer, codes)
            )
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
    from trolyao.evaluation.conversations import replay_on_stack, write_junit, write_report

    summary, results = replay_on_stack(
        Path(args.file), args.url, "Đang khởi động hệ thống để chạy hội thoại kiểm thử..."
    )
    if args.junit:
        write_junit(results, Path(args.junit))
    if args.report:
        write_report(results, Path(args.report))
    print(json.dumps(summary, ensure_ascii=False, indent=None if args.json else 2))
    return 0 if summary["turns_passed"] == summary["turns"] else 1


def _catalogue_import(args: argparse.Namespace) -> int:
    from tthc.catalogue.importer import import_catalogue, report_lines

    bar = _ProgressBar("Đang nhập danh mục") if not args.quiet else None
    report = import_catalogue([Path(d) for d in args.dirs], Path(args.content), progress=bar)
    if bar:
        bar.close()
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        print("\n".join(report_lines(report)))
    return 0 if report.imported else 1


class _ProgressBar:
    """A one-line text progress bar on stderr, redrawn at most every 1 %."""

    def __init__(self, label: str, width: int = 30) -> None:
        self.label, self.width, self.shown = label, width, -1

    def __call__(self, done: int, total: int) -> None:
        percent = done * 100 // total if total else 100
        if percent == self.shown:
            return
        self.shown = percent
        filled = self.width * percent // 100
        sys.stderr.write(f"\r{self.label}: [{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} ({percent} %)")
        sys.stderr.flush()

    def close(self) -> None:
        if self.shown >= 0:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _dossiers_import(args: argparse.Namespace) -> int:
    from trolyao.dossiers import import_file
    from tthc.records import RecordStore

    result = import_file(Path(args.file), RecordStore.for_settings(_settings()))
    for reason in result.skipped:
        print(f"Bỏ qua {reason}", file=sys.stderr)
    print(f"Đã nhập {len(result.rows)} hồ sơ; bỏ qua {len(result.skipped)} dòng.")
    return 0


def _officers_add(args: argparse.Namespace) -> int:
    import getpass

    from tthc.records import RecordStore
    from tthc.records.accounts import AccountError, Accounts

    if sys.stdin.isatty():
        password = getpass.getpass(f"Mật khẩu cho {args.name}: ")
        if getpass.getpass("Nhập lại mật khẩu: ") != password:
            print("Hai lần nhập không khớp.", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        officer = Accounts(RecordStore.for_settings(_settings())).add(args.name, args.role, password)
    except AccountError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"Đã lưu tài khoản {officer.name} (vai trò {officer.role}).")
    return 0


def _officers_list(args: argparse.Namespace) -> int:
    from tthc.records import RecordStore
    from tthc.records.accounts import Accounts

    for row in Accounts(RecordStore.for_settings(_settings())).list():
        state = "đã khóa" if row["disabled_at"] else "hoạt động"
        print(f"{row['name']}\t{row['role']}\t{state}")
    return 0


def _officers_disable(args: argparse.Namespace) -> int:
    from tthc.records import RecordStore
    from tthc.records.accounts import Accounts

    if not Accounts(RecordStore.for_settings(_settings())).disable(args.name):
        print(f"Không có tài khoản {args.name}.", file=sys.stderr)
        return 1
    print(f"Đã khóa tài khoản {args.name}.")
    return 0


def _locality_name(locality: str) -> str:
    import yaml

    content = _settings().content_dir
    try:
        data = yaml.safe_load((content / "localities" / f"{locality}.yml").read_text(encoding="utf-8"))
        return str(data.get("name") or locality)
    except (OSError, yaml.YAMLError, AttributeError):
        return locality


def _procedure_names() -> dict[str, str]:
    """slug -> name of the content's procedures, for the report's charts; {} if unreadable."""
    from tthc.content import ContentError, load_content

    try:
        base = load_content(_settings().content_dir, with_catalogue=False)
    except (ContentError, OSError):
        return {}
    return {slug: p.name for slug, p in base.procedures.items()}


def _report(args: argparse.Namespace) -> int:
    import datetime as dt

    from trolyao.reports.render import write_report
    from tthc.records import RecordStore
    from tthc.reports import compute
    from tthc.reports.figures import with_names

    try:
        day_from, day_to = dt.date.fromisoformat(args.day_from), dt.date.fromisoformat(args.day_to)
    except ValueError:
        print("Ngày phải có dạng YYYY-MM-DD.", file=sys.stderr)
        return 2
    if day_to < day_from:
        print("Ngày kết thúc phải sau ngày bắt đầu.", file=sys.stderr)
        return 2
    store = RecordStore(args.db) if args.db else RecordStore.for_settings(_settings())
    figures = with_names(compute(store.engine, day_from, day_to, zone=_settings().timezone), _procedure_names())
    locality = _locality_name(args.locality or _settings().locality)
    output = Path(args.output)
    write_report(figures, args.format, output, locality)
    if args.json:
        print(json.dumps(figures.as_json(), ensure_ascii=False, default=str))
    else:
        print(f"Đã ghi báo cáo {output} ({figures.conversations} hội thoại, {figures.messages} tin nhắn).")
    return 0


def _qr(args: argparse.Namespace) -> int:
    from trolyao.qrsheet import Sheet, codes_for, write_pdf
    from tthc.content import load_content

    procedures = load_content(_settings().content_dir, with_catalogue=False).procedures
    unknown = [slug for slug in args.slug or [] if slug not in procedures]
    if unknown:
        print(f"Không có thủ tục: {', '.join(unknown)}.", file=sys.stderr)
        return 2
    slugs = args.slug or sorted(procedures, key=lambda slug: procedures[slug].name)
    try:
        named = [(slug, procedures[slug].name) for slug in slugs]
        codes = codes_for(named, args.channel, args.web_url or "", args.telegram_bot or "")
    except ValueError:
        telegram = args.channel == "telegram"
        need = "--telegram-bot (tên bot Telegram)" if telegram else "--web-url (địa chỉ trang trò chuyện)"
        print(f"Thiếu hoặc sai {need}.", file=sys.stderr)
        return 2
    locality = _locality_name(args.locality or _settings().locality)
    write_pdf(codes, Sheet(args.layout, args.channel, args.counter or "", locality), Path(args.output))
    print(f"Đã ghi {args.output}: {len(codes)} mã QR ({args.layout}).")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trolyao", description="Trợ lý ảo thủ tục hành chính")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("run", help="start Rasa (5005), the action server (5055) and the gateway (8000)").set_defaults(
        func=_run
    )

    train = sub.add_parser("train", help="train the Rasa model if its inputs changed")
    train.add_argument("--force", action="store_true", help="train even if a model for these inputs exists")
    train.set_defaults(func=_train)

    content = sub.add_parser("content", help="officers' content tools").add_subparsers(
        dest="content_command", required=True
    )
    check = content.add_parser("check", help="validate content files")
    check.add_argument("dir", nargs="?", default=str(paths.CONTENT))
    check.add_argument("--json", action="store_true")
    check.add_argument(
        "--catalogue", help="official catalogue to compare with (default DIR/catalogue, else the repository's)"
    )
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
    promote = content.add_parser("promote", help="draft a curated procedure file from a catalogue procedure (by code)")
    promote.add_argument("code", help="the procedure's official code, e.g. 1.012786")
    promote.add_argument("--slug", help="the draft's slug (derived from the official name when absent)")
    promote.add_argument("--dir", default=str(paths.CONTENT), help="content directory (default content/)")
    promote.set_defaults(func=_content_promote)

    catalogue = sub.add_parser("catalogue", help="the official procedure catalogue (national portal records)")
    catalogue_sub = catalogue.add_subparsers(dest="catalogue_command", required=True)
    catalogue_import = catalogue_sub.add_parser(
        "import", help="import portal records (<ministry>/<code>.json) into content/catalogue/, printing what changed"
    )
    catalogue_import.add_argument("dirs", nargs="+", metavar="DIR", help="ministry folders, their parent, or records")
    catalogue_import.add_argument("--content", default=str(paths.CONTENT), help="content directory (default content/)")
    catalogue_import.add_argument("--json", action="store_true", help="print the report as JSON")
    catalogue_import.add_argument("--quiet", action="store_true", help="no progress bar")
    catalogue_import.set_defaults(func=_catalogue_import)

    dossiers = sub.add_parser("dossiers", help="dossier status data").add_subparsers(
        dest="dossiers_command", required=True
    )
    dossier_import = dossiers.add_parser("import", help="import the one-stop system's CSV export")
    dossier_import.add_argument("file")
    dossier_import.set_defaults(func=_dossiers_import)

    officers = sub.add_parser("officers", help="officers' console accounts").add_subparsers(
        dest="officers_command", required=True
    )
    officer_add = officers.add_parser(
        "add", help="create an officer (or reset the password and role); password from the prompt or stdin"
    )
    officer_add.add_argument("name")
    officer_add.add_argument("--role", choices=["viewer", "editor"], default="viewer")
    officer_add.set_defaults(func=_officers_add)
    officers.add_parser("list", help="list the accounts").set_defaults(func=_officers_list)
    officer_off = officers.add_parser("disable", help="lock an account and end its sessions")
    officer_off.add_argument("name")
    officer_off.set_defaults(func=_officers_disable)

    report = sub.add_parser("report", help="figures of a period with charts (CCHC report): md, xlsx or pdf")
    report.add_argument("--from", dest="day_from", required=True, metavar="YYYY-MM-DD")
    report.add_argument("--to", dest="day_to", required=True, metavar="YYYY-MM-DD")
    report.add_argument("--format", choices=["md", "xlsx", "pdf"], default="md")
    report.add_argument("--output", required=True, metavar="FILE")
    report.add_argument("--locality", help="locality id for the title (default TROLYAO_LOCALITY or da-nang)")
    report.add_argument("--db", help="records store URL (default TROLYAO_DB_URL, else var/trolyao.db)")
    report.add_argument("--json", action="store_true", help="also print the figures as JSON")
    report.set_defaults(func=_report)

    qr = sub.add_parser("qr", help="QR codes for the counters (A4 PDF): each opens the assistant on one procedure")
    qr.add_argument("--output", required=True, metavar="FILE.pdf")
    qr.add_argument("--layout", choices=["sheet", "poster"], default="sheet", help="12 cards a page, or a poster")
    qr.add_argument("--channel", choices=["web", "telegram"], default="web", help="what the codes open")
    qr.add_argument("--web-url", metavar="URL", help="the web chat's public address (channel web)")
    qr.add_argument("--telegram-bot", metavar="NAME", help="the Telegram bot's user name (channel telegram)")
    qr.add_argument("--counter", metavar="TEXT", help="the poster's heading, e.g. 'Quầy số 3 - Hộ tịch'")
    qr.add_argument("--slug", action="append", metavar="SLUG", help="a procedure (repeatable; default all)")
    qr.add_argument("--locality", help="locality id for the footer (default TROLYAO_LOCALITY or da-nang)")
    qr.set_defaults(func=_qr)

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
    conv.add_argument("--junit", metavar="FILE", help="also write JUnit XML (one case per turn)")
    conv.add_argument("--report", metavar="FILE", help="also write failing transcripts (.md, or .html)")
    conv.set_defaults(func=_eval_conversations)

    bench = sub.add_parser("bench", help="load benchmark: the embedded default against a stock Rasa 3.6 REST server")
    bench.add_argument("--concurrency", type=int, nargs="+", default=[1, 8], help="concurrent senders, one run each")
    bench.add_argument("--users", type=int, default=150, help="conversations per run (3-4 turns each)")
    bench.add_argument("--max-seconds", type=float, default=60)
    bench.add_argument("--no-stock", action="store_true", help="skip the stock reference (it trains once, ~10 min)")
    bench.add_argument("--json", metavar="FILE", help="write the rows as JSON")
    bench.add_argument("--chart", metavar="PNG", help="draw throughput and p95 latency")
    bench.add_argument(
        "--through",
        nargs="+",
        choices=["chat", "telegram", "zalo-bot", "webhooks", "all"],
        default=["all"],
        help="how our stack is loaded: POST /api/chat, the signed Telegram or Zalo Bot webhook (answers "
        "timed at a local fake of the platform's API), webhooks = both webhooks, all = the three (default)",
    )
    bench.set_defaults(func=_bench)

    outage = sub.add_parser("bench-outage", help="load a channel while its platform API is down (issue 15)")
    outage.add_argument("--through", nargs="+", choices=["telegram", "zalo-bot"], default=["telegram"])
    outage.add_argument("--outage", type=float, default=60, help="seconds the platform API refuses connections")
    outage.add_argument("--senders", type=int, default=8, help="concurrent citizens")
    outage.add_argument("--users", type=int, default=1000, help="conversations (3-4 turns each), at most; "
                        "no turn starts after before + outage + after seconds")  # fmt: skip
    outage.add_argument("--before", type=float, default=10, help="seconds of load before the outage")
    outage.add_argument("--after", type=float, default=20, help="seconds of new turns after the platform returns")
    outage.add_argument("--drain", type=float, default=180, help="longest wait for the queue after the return")
    outage.add_argument("--json", metavar="FILE", help="write the rows as JSON")
    outage.set_defaults(func=_bench_outage)
    return parser


def _bench(args: argparse.Namespace) -> int:
    from trolyao.bench.compare import expand_through, markdown, run_benchmark
    from trolyao.training import model_path, train

    if not model_path().exists():
        train(log=sys.stderr)
    rows = run_benchmark(
        args.concurrency, args.users, args.max_seconds, not args.no_stock,
        Path(args.json) if args.json else None, Path(args.chart) if args.chart else None,
        expand_through(args.through),
    )  # fmt: skip
    print(markdown(rows))
    return 1 if any(row["errors"] for row in rows) else 0


def _bench_outage(args: argparse.Namespace) -> int:
    from trolyao.bench.outage import markdown, run_benchmark
    from trolyao.training import model_path, train

    if not model_path().exists():
        train(log=sys.stderr)
    rows = run_benchmark(tuple(args.through), args.senders, args.users, args.before, args.outage, args.after,
                         args.drain)  # fmt: skip
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
    print(markdown(rows))
    return 0 if rows and all(row["ok"] for row in rows) else 1


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
