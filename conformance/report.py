"""Markdown and HTML pages from a `RunResult`.

Both pages hold the same sections, in this order:

1. the verdict, and the servers that were skipped or missing;
2. servers x configurations: files, events, byte-exact count, failures and undecoded
   types, scenario errors, the table state (tables and rows rebuilt from the rows
   events and compared with SELECT, mismatches), time, pass/fail (a failure or
   mismatch count links to its section);
3. event types covered per server, counted over all its configurations;
4. expected event types not seen, scenario errors and notes;
5. table state: the tables left out of the comparison and why, then each mismatch
   (`#ts-<server>-<config>`) with its table, row, column, binlog and SELECT values;
6. failures, one anchor each (`#f-<server>-<config>-<file>-<offset>`), with hex dumps
   of the event as read and as rebuilt, from the start and around the first
   difference.

At most `MAX_FAILURES_SHOWN` failures and mismatches per configuration are written
out; the rest are counted, and `results.json` keeps up to `rebuild.MAX_MISMATCHES`.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from pathlib import Path

from conformance.capture import ConfigResult, EventFailure, RunResult
from conformance.rebuild import TableMismatch, counts_line

MAX_FAILURES_SHOWN = 40
TITLE = "Binlog conformance against real servers"


# -- shared pieces ---------------------------------------------------------------------


def anchor(*parts: object) -> str:
    """An HTML id from `parts`: lower case, runs of other characters made `-`."""
    text = "-".join(str(part) for part in parts if part is not None)
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def failure_anchor(result: ConfigResult, failure: EventFailure) -> str:
    return anchor("f", result.server, result.config, failure.file, failure.offset, failure.inner)


def config_anchor(result: ConfigResult) -> str:
    return anchor("c", result.server, result.config)


def state_anchor(result: ConfigResult) -> str:
    return anchor("ts", result.server, result.config)


def state_summary(result: ConfigResult) -> str:
    """`28 tables, 1720 rows, 0 mismatches` for the table-state column ('' if none)."""
    state = result.table_state
    if state is None:
        return ""
    return counts_line(state)


def _state_totals(run: RunResult) -> tuple[int, int, int]:
    states = [r.table_state for r in run.results if r.table_state is not None]
    return (
        sum(state.tables for state in states),
        sum(state.rows for state in states),
        sum(state.mismatch_count for state in states),
    )


def _skipped_tables(run: RunResult) -> dict[tuple[str, str], list[str]]:
    """(table, reason) -> the servers where the table was left out of the comparison."""
    out: dict[tuple[str, str], list[str]] = {}
    for result in run.results:
        if result.table_state is None:
            continue
        for table, reason in result.table_state.skipped.items():
            servers = out.setdefault((table, reason), [])
            if result.server not in servers:
                servers.append(result.server)
    return out


def _mismatch_cells(mismatch: TableMismatch) -> list[str]:
    return [
        mismatch.kind,
        mismatch.table,
        mismatch.key,
        mismatch.column or "",
        mismatch.binlog,
        mismatch.select,
        mismatch.message,
    ]


MISMATCH_HEADINGS = ["kind", "table", "row", "column", "binlog value", "SELECT value", "note"]


def hexdump(data: bytes, start: int = 0) -> list[tuple[str, str]]:
    """Lines of `data` as `(offset and hex, printable ASCII)`, 16 bytes each, offsets
    counted from `start`."""
    lines = []
    for index in range(0, len(data), 16):
        chunk = data[index : index + 16]
        hex_part = " ".join(f"{byte:02x}" for byte in chunk)
        text = "".join(chr(byte) if 32 <= byte < 127 else "." for byte in chunk)
        lines.append((f"{start + index:06x}  {hex_part:<47}", text))
    return lines


def _dump_text(data: bytes, start: int = 0) -> str:
    return "\n".join(f"{left}  |{right}|" for left, right in hexdump(data, start))


def _state_line(run: RunResult) -> str:
    tables, rows, mismatches = _state_totals(run)
    return f"{tables} tables and {rows} rows compared, {mismatches} mismatches"


def _verdict(result: ConfigResult) -> str:
    return "pass" if result.passed else "FAIL"


def _servers(run: RunResult) -> list[str]:
    names: list[str] = []
    for result in run.results:
        if result.server not in names:
            names.append(result.server)
    return names


def types_by_server(run: RunResult) -> dict[str, Counter[str]]:
    """Event-type counts per server, summed over its configurations."""
    totals: dict[str, Counter[str]] = {name: Counter() for name in _servers(run)}
    for result in run.results:
        totals[result.server].update(result.types)
    return totals


def _versions(run: RunResult) -> dict[str, str]:
    return {result.server: result.version for result in run.results if result.version}


def _dumps(failure: EventFailure) -> list[tuple[str, str]]:
    """(caption, hexdump text) blocks for one failure."""
    blocks = [
        (
            f"as read: first {len(bytes.fromhex(failure.original))} of {failure.size} bytes",
            _dump_text(bytes.fromhex(failure.original)),
        )
    ]
    if failure.rebuilt is not None:
        blocks.append(
            (
                f"rebuilt: first {len(bytes.fromhex(failure.rebuilt))} of"
                f" {failure.rebuilt_size} bytes",
                _dump_text(bytes.fromhex(failure.rebuilt)),
            )
        )
    if failure.original_at_diff is not None and failure.window_start is not None:
        blocks.append(
            (
                f"as read, from byte {failure.window_start}",
                _dump_text(bytes.fromhex(failure.original_at_diff), failure.window_start),
            )
        )
        blocks.append(
            (
                f"rebuilt, from byte {failure.window_start}",
                _dump_text(bytes.fromhex(failure.rebuilt_at_diff or ""), failure.window_start),
            )
        )
    return blocks


def _failure_summary(failure: EventFailure) -> str:
    inner = f" (inner event #{failure.inner} of the payload)" if failure.inner is not None else ""
    diff = f"; first difference at byte {failure.diff_at}" if failure.diff_at is not None else ""
    sizes = ""
    if failure.rebuilt_size is not None and failure.rebuilt_size != failure.size:
        sizes = f"; {failure.size} bytes read, {failure.rebuilt_size} rebuilt"
    return f"{failure.kind}: {failure.message}{inner}{diff}{sizes}"


# -- Markdown --------------------------------------------------------------------------


def _md_cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(run: RunResult) -> str:
    out: list[str] = [f"# {TITLE}", ""]
    verdict = "PASS" if run.passed else "FAIL"
    out.append(
        f"**{verdict}**: {len(run.results)} captures, "
        f"{sum(r.events for r in run.results)} events, "
        f"{sum(r.identical for r in run.results)} byte-exact, "
        f"{sum(len(r.failures) for r in run.results)} failures; "
        f"table state: {_state_line(run)}; "
        f"started {run.started or '?'}, took {run.seconds:.0f}s."
    )
    out.append("")
    for name, reason in run.missing.items():
        out.append(f"- **missing** (required on CI) `{name}`: {_md_cell(reason)}")
    for name, reason in run.skipped.items():
        out.append(f"- skipped `{name}`: {_md_cell(reason)}")
    if run.missing or run.skipped:
        out.append("")

    out += [
        "## Servers × configurations",
        "",
        "| server | version | config | files | events | byte-exact | failures | undecoded"
        " | scenario errors | table state | time | result |",
        "|---|---|---|--:|--:|--:|--:|--:|--:|---|--:|---|",
    ]
    for result in run.results:
        failures = len(result.failures)
        failure_cell = f"[{failures}](#{config_anchor(result)})" if failures else "0"
        if result.error:
            failure_cell = f"[error](#{config_anchor(result)})"
        state = state_summary(result)
        if result.table_state is not None and not result.table_state.passed:
            state = f"[{state}](#{state_anchor(result)})"
        out.append(
            f"| {result.server} | {_md_cell(result.version)} | `{result.config}` |"
            f" {len(result.files)} | {result.events} | {result.identical} | {failure_cell} |"
            f" {len(result.unknown)} | {len(result.scenario_errors)} | {_md_cell(state)} |"
            f" {result.seconds:.1f}s | {_verdict(result)} |"
        )
    out.append("")

    totals = types_by_server(run)
    servers = list(totals)
    if servers:
        out += [
            "## Event types per server",
            "",
            "Counts over all configurations of each server (inner events of"
            " compressed transactions included).",
            "",
            "| event type | " + " | ".join(servers) + " |",
            "|---|" + "--:|" * len(servers),
        ]
        names = sorted(set().union(*totals.values()))
        for name in names:
            cells = " | ".join(str(totals[server].get(name, "")) for server in servers)
            out.append(f"| `{name}` | {cells} |")
        out.append("")

    missing, errors, notes = _scenario_findings(run)
    if missing or errors or notes:
        out += ["## Scenarios and expectations", ""]
        for result in missing:
            out.append(
                f"- {result.server} `{result.config}`: expected but not seen:"
                f" {', '.join(f'`{name}`' for name in result.missing_events)}"
            )
        for result, item in errors:
            out.append(
                f"- **{result.server} `{result.config}` scenario `{item.name}`"
                f" failed**: {_md_cell(item.error)}"
            )
        for server, scenario, note in notes:
            out.append(f"- {server} scenario `{scenario}`: {_md_cell(note)}")
        out.append("")

    out += _markdown_table_state(run)

    failed = [result for result in run.results if result.failures or result.error]
    if failed:
        out += ["## Failures", ""]
    for result in failed:
        out += [
            f'<a id="{config_anchor(result)}"></a>',
            "",
            f"### {result.server} `{result.config}`",
            "",
        ]
        if result.error:
            out += [f"Capture failed: {_md_cell(result.error)}", ""]
        if result.binlog_dir:
            out += [f"Binlog copies: `{result.binlog_dir}`", ""]
        for failure in result.failures[:MAX_FAILURES_SHOWN]:
            out.append(
                f"- [{failure.file} @{failure.offset} `{failure.event}`"
                f" {failure.kind}](#{failure_anchor(result, failure)})"
            )
        out.append("")
        for failure in result.failures[:MAX_FAILURES_SHOWN]:
            out += [
                f'<a id="{failure_anchor(result, failure)}"></a>',
                "",
                f"#### `{failure.event}` at {failure.file} offset {failure.offset}",
                "",
                _md_cell(_failure_summary(failure)),
                "",
            ]
            for caption, dump in _dumps(failure):
                out += [f"{caption}:", "", "```", dump, "```", ""]
        hidden = len(result.failures) - MAX_FAILURES_SHOWN
        if hidden > 0:
            out += [f"... and {hidden} more (see results.json).", ""]
    return "\n".join(out).rstrip() + "\n"


def _markdown_table_state(run: RunResult) -> list[str]:
    states = [r for r in run.results if r.table_state is not None]
    if not states:
        return []
    out = [
        "## Table state",
        "",
        "Each configuration's tables rebuilt from its rows events and compared, value by"
        " value, with what SELECT returns (`conformance/rebuild.py` lists how each type is"
        f" normalized). {_state_line(run)}.",
        "",
    ]
    skipped = _skipped_tables(run)
    if skipped:
        out += ["Not compared (their rows do not all come from rows events):", ""]
        for (table, reason), servers in sorted(skipped.items()):
            out.append(f"- `{table}` ({', '.join(servers)}): {_md_cell(reason)}")
        out.append("")
    for result in states:
        state = result.table_state
        assert state is not None
        if state.passed:
            continue
        out += [
            f'<a id="{state_anchor(result)}"></a>',
            "",
            f"### {result.server} `{result.config}`: {counts_line(state)}",
            "",
        ]
        if state.mismatches:
            out += [
                "| " + " | ".join(MISMATCH_HEADINGS) + " |",
                "|" + "---|" * len(MISMATCH_HEADINGS),
            ]
            for mismatch in state.mismatches[:MAX_FAILURES_SHOWN]:
                cells = " | ".join(_md_cell(cell) for cell in _mismatch_cells(mismatch))
                out.append(f"| {cells} |")
            out.append("")
        hidden = state.mismatch_count - min(len(state.mismatches), MAX_FAILURES_SHOWN)
        if hidden > 0:
            out += [f"... and {hidden} more.", ""]
    return out


def _html_table_state(run: RunResult) -> list[str]:
    states = [r for r in run.results if r.table_state is not None]
    if not states:
        return []
    out = [
        "<h2>Table state</h2>",
        "<p>Each configuration's tables rebuilt from its rows events and compared, value by"
        " value, with what SELECT returns (<code>conformance/rebuild.py</code> lists how each"
        f" type is normalized). {_e(_state_line(run))}.</p>",
    ]
    skipped = _skipped_tables(run)
    if skipped:
        out.append("<p>Not compared (their rows do not all come from rows events):</p><ul>")
        for (table, reason), servers in sorted(skipped.items()):
            out.append(
                f"<li><code>{_e(table)}</code> ({_e(', '.join(servers))}): {_e(reason)}</li>"
            )
        out.append("</ul>")
    for result in states:
        state = result.table_state
        assert state is not None
        if state.passed:
            continue
        out.append(
            f'<h3 id="{state_anchor(result)}">{_e(result.server)}'
            f" <code>{_e(result.config)}</code>: {_e(counts_line(state))}</h3>"
        )
        if state.mismatches:
            out.append(
                "<table><tr>" + "".join(f"<th>{_e(h)}</th>" for h in MISMATCH_HEADINGS) + "</tr>"
            )
            for mismatch in state.mismatches[:MAX_FAILURES_SHOWN]:
                cells = "".join(f"<td>{_e(cell)}</td>" for cell in _mismatch_cells(mismatch))
                out.append(f"<tr>{cells}</tr>")
            out.append("</table>")
        hidden = state.mismatch_count - min(len(state.mismatches), MAX_FAILURES_SHOWN)
        if hidden > 0:
            out.append(f"<p>... and {hidden} more.</p>")
    return out


# -- HTML ------------------------------------------------------------------------------

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.fail td { background: #fde8e8; }
.pass { color: #176117; font-weight: bold; }
.fail { color: #b00020; font-weight: bold; }
pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
code { font-size: 0.95em; }
"""


def _e(text: object) -> str:
    return html.escape(str(text))


def _html_state_cell(result: ConfigResult) -> str:
    text = _e(state_summary(result))
    if result.table_state is not None and not result.table_state.passed:
        return f'<a href="#{state_anchor(result)}">{text}</a>'
    return text


def render_html(run: RunResult) -> str:
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(TITLE)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(TITLE)}</h1>",
    ]
    verdict = "PASS" if run.passed else "FAIL"
    out.append(
        f'<p><span class="{verdict.lower()}">{verdict}</span>: {len(run.results)} captures, '
        f"{sum(r.events for r in run.results)} events, "
        f"{sum(r.identical for r in run.results)} byte-exact, "
        f"{sum(len(r.failures) for r in run.results)} failures; "
        f"table state: {_e(_state_line(run))}; "
        f"started {_e(run.started or '?')}, took {run.seconds:.0f}s.</p>"
    )
    if run.missing or run.skipped:
        out.append("<ul>")
        for name, reason in run.missing.items():
            out.append(
                f"<li><b>missing</b> (required on CI) <code>{_e(name)}</code>: {_e(reason)}</li>"
            )
        for name, reason in run.skipped.items():
            out.append(f"<li>skipped <code>{_e(name)}</code>: {_e(reason)}</li>")
        out.append("</ul>")

    out += [
        "<h2>Servers × configurations</h2>",
        "<table><tr><th>server</th><th>version</th>"
        "<th>config</th><th>files</th><th>events</th><th>byte-exact</th><th>failures</th>"
        "<th>undecoded</th><th>scenario errors</th><th>table state</th><th>time</th>"
        "<th>result</th></tr>",
    ]
    for result in run.results:
        failures = len(result.failures)
        cell = f'<a href="#{config_anchor(result)}">{failures}</a>' if failures else "0"
        if result.error:
            cell = f'<a href="#{config_anchor(result)}">error</a>'
        row_class = "" if result.passed else ' class="fail"'
        out.append(
            f"<tr{row_class}><td>{_e(result.server)}</td><td>{_e(result.version)}</td>"
            f"<td><code>{_e(result.config)}</code></td><td class=num>{len(result.files)}</td>"
            f"<td class=num>{result.events}</td><td class=num>{result.identical}</td>"
            f"<td class=num>{cell}</td><td class=num>{len(result.unknown)}</td>"
            f"<td class=num>{len(result.scenario_errors)}</td>"
            f"<td>{_html_state_cell(result)}</td>"
            f"<td class=num>{result.seconds:.1f}s</td>"
            f'<td class="{_verdict(result).lower()}">{_verdict(result)}</td></tr>'
        )
    out.append("</table>")

    totals = types_by_server(run)
    servers = list(totals)
    if servers:
        versions = _versions(run)
        out += [
            "<h2>Event types per server</h2>",
            "<p>Counts over all configurations of each server (inner events of compressed"
            " transactions included).</p>",
            "<table><tr><th>event type</th>"
            + "".join(
                f"<th>{_e(s)}<br><small>{_e(versions.get(s, ''))}</small></th>" for s in servers
            )
            + "</tr>",
        ]
        for name in sorted(set().union(*totals.values())):
            cells = "".join(f"<td class=num>{totals[s].get(name, '')}</td>" for s in servers)
            out.append(f"<tr><td><code>{_e(name)}</code></td>{cells}</tr>")
        out.append("</table>")

    missing, errors, notes = _scenario_findings(run)
    if missing or errors or notes:
        out += ["<h2>Scenarios and expectations</h2>", "<ul>"]
        for result in missing:
            names = ", ".join(f"<code>{_e(n)}</code>" for n in result.missing_events)
            out.append(
                f"<li>{_e(result.server)} <code>{_e(result.config)}</code>: expected"
                f" but not seen: {names}</li>"
            )
        for result, item in errors:
            out.append(
                f"<li><b>{_e(result.server)} <code>{_e(result.config)}</code>"
                f" scenario <code>{_e(item.name)}</code> failed</b>: {_e(item.error)}</li>"
            )
        for server, scenario, note in notes:
            out.append(
                f"<li>{_e(server)} scenario <code>{_e(scenario)}</code>: {_e(note)}</li>"
            )
        out.append("</ul>")

    out += _html_table_state(run)

    failed = [result for result in run.results if result.failures or result.error]
    if failed:
        out.append("<h2>Failures</h2>")
    for result in failed:
        out.append(
            f'<h3 id="{config_anchor(result)}">{_e(result.server)}'
            f" <code>{_e(result.config)}</code></h3>"
        )
        if result.error:
            out.append(f"<p>Capture failed: {_e(result.error)}</p>")
        if result.binlog_dir:
            out.append(f"<p>Binlog copies: <code>{_e(result.binlog_dir)}</code></p>")
        out.append("<ul>")
        for failure in result.failures[:MAX_FAILURES_SHOWN]:
            out.append(
                f'<li><a href="#{failure_anchor(result, failure)}">{_e(failure.file)}'
                f" @{failure.offset} <code>{_e(failure.event)}</code> {_e(failure.kind)}</a></li>"
            )
        out.append("</ul>")
        for failure in result.failures[:MAX_FAILURES_SHOWN]:
            out.append(
                f'<h4 id="{failure_anchor(result, failure)}"><code>{_e(failure.event)}</code>'
                f" at {_e(failure.file)} offset {failure.offset}</h4>"
            )
            out.append(f"<p>{_e(_failure_summary(failure))}</p>")
            for caption, dump in _dumps(failure):
                out.append(f"<p>{_e(caption)}:</p><pre>{_e(dump)}</pre>")
        hidden = len(result.failures) - MAX_FAILURES_SHOWN
        if hidden > 0:
            out.append(f"<p>... and {hidden} more (see results.json).</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_reports(run: RunResult, directory: Path) -> tuple[Path, Path]:
    """Write `index.md` and `index.html` into `directory`; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    markdown, page = directory / "index.md", directory / "index.html"
    markdown.write_text(render_markdown(run), encoding="utf-8")
    page.write_text(render_html(run), encoding="utf-8")
    return markdown, page


def _scenario_findings(run):
    """What the "Scenarios and expectations" section lists, for both page formats:
    the captures missing expected event types, the scenarios that failed, and each
    scenario note once per (server, scenario)."""
    missing = [result for result in run.results if result.missing_events]
    errors = [(result, item) for result in run.results for item in result.scenarios
              if item.error]
    notes: list[tuple[str, str, str]] = []
    for result in run.results:
        for item in result.scenarios:
            for note in item.notes:
                key = (result.server, item.name, note)
                if key not in notes:
                    notes.append(key)
    return missing, errors, notes
