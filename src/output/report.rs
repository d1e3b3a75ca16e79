//! `vanish report`: one self-contained HTML page of one or more output folders — each
//! run's configuration, its tables and its figures (inline SVG), readable without network
//! access or JavaScript, on a laptop and on a phone.
//!
//! The page is made from the folders' files only, and holds no time stamp: the same
//! folders give the same bytes.
//!
//! Only vanish runs are read (a folder with a vanish manifest.json), and of each only the
//! files its manifest lists; a listed file that is malformed is a note on the page (and
//! in [`Report::notes`]), not a failure.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! std::fs::write(dir.path().join("thresholds.csv"), "n,a,t1\n1,1,0\n2,1,0.658\n").unwrap();
//! let manifest = r#"{"tool": "vanish", "version": "0.1.0", "command": "thresholds",
//!                    "files": ["thresholds.csv"]}"#;
//! std::fs::write(dir.path().join("manifest.json"), manifest).unwrap();
//! let html = vanish::output::report::render(&[dir.path().to_path_buf()]).unwrap();
//! assert!(html.starts_with("<!doctype html>") && html.contains("<svg"));
//! assert!(!html.contains("<script"));
//! ```

use std::path::PathBuf;

use serde_json::Value;

use crate::output::plot::{self, CsvTable, Figure, RunFolder};
use crate::output::schema::{self, Versioned};
use crate::output::training::TrainSummary;

/// CSV files with at most this many rows are shown whole; larger ones are summarised.
pub const MAX_ROWS: usize = 40;
/// CSV files with more columns than this are shown only when they have one row
/// (transposed into name / value pairs).
pub const MAX_COLUMNS: usize = 14;

/// A report: the page, its figures, and a note for each figure or file it could not show.
#[derive(Debug)]
pub struct Report {
    /// The HTML page.
    pub html: String,
    /// The figures, named after their folder when there are several (`2-histogram`).
    pub figures: Vec<Figure>,
    /// What could not be shown, and why (one line each, naming the file).
    pub notes: Vec<String>,
}

/// The HTML of a report on `dirs` (see [`build`]).
pub fn render(dirs: &[PathBuf]) -> anyhow::Result<String> {
    Ok(build(dirs)?.html)
}

/// The report on `dirs`: an error when one of them is not a vanish run
/// ([`plot::RunFolder::open`]).
pub fn build(dirs: &[PathBuf]) -> anyhow::Result<Report> {
    let runs = dirs
        .iter()
        .map(|d| RunFolder::open(d))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut sections = Vec::new();
    let mut figures = Vec::new();
    let mut notes = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let (section, drawn) = section(i, run);
        for mut f in drawn.figures {
            if dirs.len() > 1 {
                f.name = format!("{}-{}", i + 1, f.name);
            }
            figures.push(f);
        }
        notes.extend(section.notes.iter().cloned());
        sections.push(section);
    }
    let mut html = String::from(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
    );
    html.push_str("<title>vanish report</title>\n<style>\n");
    html.push_str(CSS);
    html.push_str("</style>\n</head>\n<body>\n<header>\n<h1>vanish report</h1>\n");
    html.push_str(&format!(
        "<p>vanish {}: {} run folder{}. Every figure and table below is made from the \
         files in these folders.</p>\n<nav><ol>\n",
        env!("CARGO_PKG_VERSION"),
        dirs.len(),
        if dirs.len() == 1 { "" } else { "s" }
    ));
    for (i, s) in sections.iter().enumerate() {
        html.push_str(&format!(
            "<li><a href=\"#run-{i}\">{}</a></li>\n",
            escape(&s.title)
        ));
    }
    html.push_str("</ol></nav>\n</header>\n<main>\n");
    for s in &sections {
        html.push_str(&s.html);
    }
    html.push_str("</main>\n</body>\n</html>\n");
    Ok(Report {
        html,
        figures,
        notes,
    })
}

struct Section {
    title: String,
    html: String,
    notes: Vec<String>,
}

const CSS: &str = "\
:root { color-scheme: light; }
body { font: 16px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1b1b1b;
  background: #fff; margin: 0 auto; max-width: 980px; padding: 0 16px 48px; }
h1 { font-size: 1.8rem; margin: 24px 0 8px; }
h2 { font-size: 1.4rem; margin: 40px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 1.1rem; margin: 24px 0 8px; }
code, pre { font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace; font-size: 0.9em; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f6f6; padding: 8px; }
figure { margin: 16px 0 24px; }
figure svg { display: block; width: 100%; height: auto; max-width: 760px; }
.note { color: #8a4b00; }
figcaption { font-size: 0.92rem; color: #444; margin-top: 4px; max-width: 760px; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; font-size: 0.9rem; margin: 8px 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; white-space: nowrap; }
th { background: #f3f3f3; }
td:first-child, th:first-child { text-align: left; }
dl.config { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; }
dl.config dt { font-weight: 600; overflow-wrap: anywhere; min-width: 0; }
dl.config dd { margin: 0; overflow-wrap: anywhere; min-width: 0; }
@media (max-width: 600px) { body { font-size: 15px; padding: 0 10px 32px; }
  dl.config { grid-template-columns: 1fr; } dl.config dd { margin-bottom: 6px; } }
";

/// One run's section (heading, figures, tables, configuration) and its figures.
fn section(i: usize, run: &RunFolder) -> (Section, plot::Drawn) {
    let dir = run.dir.as_path();
    let command = run.command().to_string();
    let name = dir
        .file_name()
        .map_or_else(|| dir.display().to_string(), |n| n.to_string_lossy().into());
    let title = format!("{command}: {name}");
    let mut html = format!("<section id=\"run-{i}\">\n<h2>{}</h2>\n", escape(&title));
    let mut notes = Vec::new();
    // Figures first (people would rather look than read), then tables, then settings.
    let drawn = plot::figures_of(run);
    for (k, f) in drawn.figures.iter().enumerate() {
        html.push_str(&figure_html(f, &format!("fig-{i}-{k}")));
    }
    for note in &drawn.skipped {
        html.push_str(&format!("<p class=\"note\">{}</p>\n", escape(note)));
        notes.push(format!("{}: {note}", dir.display()));
    }
    let mut note = |html: &mut String, text: String| {
        html.push_str(&format!("<p class=\"note\">{}</p>\n", escape(&text)));
        notes.push(text);
    };
    for md in ["table.md", "map.md"].into_iter().filter(|f| run.has(f)) {
        match crate::output::files::read_text(&dir.join(md)) {
            Ok(text) => {
                html.push_str(&format!("<h3>{md}</h3>\n"));
                html.push_str(&markdown_tables(&text));
            }
            Err(e) => note(&mut html, format!("{}: {e}", dir.join(md).display())),
        }
    }
    // A single training run's outcome (a map's cells are in map.md), and the chain.
    for file in ["summary.json", "markov.json"] {
        if !run.has(file) || command == "sim" {
            continue;
        }
        let v = match schema::read::<Versioned<Value>>(dir, file) {
            Ok(v) => v.body,
            Err(e) => {
                note(&mut html, format!("{e:#}"));
                continue;
            }
        };
        let shown = if file == "summary.json" {
            // A map's summary is not shown here; a single run's is its outcome.
            serde_json::from_value::<TrainSummary>(with_schema(v))
                .ok()
                .and_then(|s| serde_json::to_value(s.summary).ok())
        } else {
            Some(v)
        };
        if let Some(v) = shown.filter(Value::is_object) {
            html.push_str(&format!("<h3>{}</h3>\n", escape(file)));
            html.push_str(&definition_list(&v));
        }
    }
    let mut csvs: Vec<&str> = run
        .files()
        .into_iter()
        .filter(|f| f.ends_with(".csv"))
        .filter(|f| *f != "histogram.csv" && *f != "trajectories.csv") // shown as figures
        .collect();
    csvs.sort();
    for file in csvs {
        match CsvTable::read(&dir.join(file)) {
            Ok(t) => {
                html.push_str(&format!("<h3>{}</h3>\n", escape(file)));
                html.push_str(&csv_table(&t, file));
            }
            Err(e) => note(&mut html, format!("{e:#}")),
        }
    }
    html.push_str("<h3>Configuration</h3>\n");
    html.push_str(&definition_list(
        &serde_json::to_value(&run.manifest).unwrap_or(Value::Null),
    ));
    html.push_str("</section>\n");
    (Section { title, html, notes }, drawn)
}

/// A versioned file's fields with its schema put back (for the typed form that reads it).
fn with_schema(mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        m.insert("schema".into(), schema::SCHEMA.into());
    }
    v
}

/// A figure: its title, the inline SVG (scaled to the page) and its caption.
fn figure_html(f: &Figure, id: &str) -> String {
    // plotters writes a fixed width and height; the viewBox alone lets CSS scale it.
    let svg = f.svg.replacen(
        "<svg ",
        &format!("<svg role=\"img\" aria-labelledby=\"{id}\" "),
        1,
    );
    let svg = strip_size(&svg);
    format!(
        "<figure>\n{svg}<figcaption id=\"{id}\"><strong>{}.</strong> {}</figcaption>\n</figure>\n",
        escape(&f.title),
        escape(&f.caption)
    )
}

/// Removes the `width`, `height` and `style` attributes of the root `<svg>` element: the
/// page's CSS sizes its figures.
fn strip_size(svg: &str) -> String {
    let end = svg.find('>').unwrap_or(0);
    let (head, rest) = svg.split_at(end);
    let head: Vec<&str> = head
        .split(' ')
        .filter(|a| {
            !["width=\"", "height=\"", "style=\""]
                .iter()
                .any(|p| a.starts_with(p))
        })
        .collect();
    format!("{}{rest}", head.join(" "))
}

/// A JSON object as name / value pairs (nested objects flattened with dots; long strings,
/// such as encoded histograms, and long arrays left out).
fn definition_list(v: &Value) -> String {
    let mut pairs = Vec::new();
    flatten("", v, &mut pairs);
    let mut html = String::from("<dl class=\"config\">\n");
    for (k, v) in pairs {
        html.push_str(&format!("<dt>{}</dt><dd>{}</dd>\n", escape(&k), escape(&v)));
    }
    html.push_str("</dl>\n");
    html
}

fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    let key = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                flatten(&key(k), v, out);
            }
        }
        Value::String(s) if s.len() > 200 => {}
        Value::String(s) => out.push((prefix.into(), s.clone())),
        Value::Array(a) if a.len() > 12 => {
            out.push((prefix.into(), format!("({} values)", a.len())))
        }
        Value::Array(a) if a.iter().all(|x| !x.is_object()) => out.push((
            prefix.into(),
            a.iter().map(scalar).collect::<Vec<_>>().join(", "),
        )),
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                flatten(&key(&i.to_string()), x, out);
            }
        }
        Value::Null => out.push((prefix.into(), "–".into())),
        other => out.push((prefix.into(), scalar(other))),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Number(n) => crate::output::format::report_cell(&n.to_string()),
        Value::String(s) => s.clone(),
        Value::Array(a) => format!("[{}]", a.iter().map(scalar).collect::<Vec<_>>().join(", ")),
        Value::Null => "–".into(),
        other => other.to_string(),
    }
}

/// The pipe tables of a Markdown text as HTML tables; other lines as paragraphs.
fn markdown_tables(text: &str) -> String {
    let mut html = String::new();
    let mut rows: Vec<Vec<String>> = Vec::new();
    let flush = |rows: &mut Vec<Vec<String>>, html: &mut String| {
        if rows.is_empty() {
            return;
        }
        html.push_str("<div class=\"scroll\"><table>\n");
        for (i, r) in rows.iter().enumerate() {
            let tag = if i == 0 { "th" } else { "td" };
            html.push_str("<tr>");
            for c in r {
                html.push_str(&format!("<{tag}>{}</{tag}>", escape(c)));
            }
            html.push_str("</tr>\n");
        }
        html.push_str("</table></div>\n");
        rows.clear();
    };
    for line in text.lines() {
        let l = line.trim();
        if l.starts_with('|') {
            let cells: Vec<String> = l
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect();
            if cells.iter().all(|c| c.chars().all(|ch| "-: ".contains(ch))) {
                continue; // the alignment row
            }
            rows.push(cells);
        } else {
            flush(&mut rows, &mut html);
            if !l.is_empty() {
                html.push_str(&format!("<p>{}</p>\n", escape(l)));
            }
        }
    }
    flush(&mut rows, &mut html);
    html
}

/// A CSV file as an HTML table: whole when small, transposed when it has one wide row,
/// else its size and first rows of its first columns.
fn csv_table(t: &CsvTable, file: &str) -> String {
    let mut html = String::from("<div class=\"scroll\"><table>\n");
    let row = |cells: &[String], tag: &str| {
        let mut s = String::from("<tr>");
        for c in cells {
            s.push_str(&format!(
                "<{tag}>{}</{tag}>",
                escape(&crate::output::format::report_cell(c))
            ));
        }
        s.push_str("</tr>\n");
        s
    };
    let note = if t.rows.len() == 1 && t.header.len() > MAX_COLUMNS {
        html.push_str(&row(&["column".into(), "value".into()], "th"));
        for (h, v) in t.header.iter().zip(&t.rows[0]) {
            html.push_str(&row(&[h.clone(), v.clone()], "td"));
        }
        String::new()
    } else {
        let cols = t.header.len().min(MAX_COLUMNS);
        let rows = t.rows.len().min(MAX_ROWS);
        html.push_str(&row(&t.header[..cols], "th"));
        for r in &t.rows[..rows] {
            html.push_str(&row(&r[..cols], "td"));
        }
        if rows < t.rows.len() || cols < t.header.len() {
            format!(
                "<p>The first {rows} of {} rows and {cols} of {} columns; all of them are in \
                 <code>{}</code>.</p>\n",
                t.rows.len(),
                t.header.len(),
                escape(file)
            )
        } else {
            String::new()
        }
    };
    html.push_str("</table></div>\n");
    html.push_str(&note);
    html
}

/// HTML-escapes text.
pub fn escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            _ => s.push(c),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_pipe_tables_become_html_tables() {
        let html = markdown_tables("title\n\n| a \\ b | 1 |\n| --- | ---: |\n| x | 0.5 |\n");
        assert!(html.starts_with("<p>title</p>"));
        assert!(html.contains("<tr><th>a \\ b</th><th>1</th></tr>"));
        assert!(html.contains("<tr><td>x</td><td>0.5</td></tr>"));
    }

    #[test]
    fn numbers_are_shortened_and_text_kept() {
        assert_eq!(
            crate::output::format::report_cell("0.123456789"),
            "0.123457"
        );
        assert_eq!(crate::output::format::report_cell("1.5e-9"), "1.50000e-9");
        assert_eq!(crate::output::format::report_cell("tanh(2·x)"), "tanh(2·x)");
        assert_eq!(crate::output::format::report_cell("20"), "20");
        assert_eq!(
            strip_size("<svg width=\"7\" height=\"4\" viewBox=\"0 0 7 4\">x"),
            "<svg viewBox=\"0 0 7 4\">x"
        );
        assert_eq!(
            strip_size("<svg width=\"100%\" style=\"max-width:9px\" viewBox=\"0 0 6 4\">x"),
            "<svg viewBox=\"0 0 6 4\">x"
        );
    }
}
