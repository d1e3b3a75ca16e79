//! `vanish report`: one self-contained HTML page of one or more output folders — each
//! run's configuration, its tables and its figures (inline SVG), readable without network
//! access or JavaScript, on a laptop and on a phone.
//!
//! The page is made from the folders' files only, and holds no time stamp: the same
//! folders give the same bytes.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! std::fs::write(dir.path().join("thresholds.csv"), "n,a,t1\n1,1,0\n2,1,0.658\n").unwrap();
//! let html = vanish::output::report::render(&[dir.path().to_path_buf()]).unwrap();
//! assert!(html.starts_with("<!doctype html>") && html.contains("<svg"));
//! assert!(!html.contains("<script"));
//! ```

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::Value;

use crate::output::manifest::Manifest;
use crate::output::plot::{self, CsvTable, Figure};
use crate::output::schema;
use crate::output::training::TrainSummary;

/// CSV files with at most this many rows are shown whole; larger ones are summarised.
pub const MAX_ROWS: usize = 40;
/// CSV files with more columns than this are shown only when they have one row
/// (transposed into name / value pairs).
pub const MAX_COLUMNS: usize = 14;

/// The HTML of a report on `dirs`.
pub fn render(dirs: &[PathBuf]) -> anyhow::Result<String> {
    let mut sections = Vec::new();
    for (i, dir) in dirs.iter().enumerate() {
        sections.push(section(i, dir)?);
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
    Ok(html)
}

/// The figures of `dirs`, named after their folder when there are several.
pub fn figures(dirs: &[PathBuf]) -> anyhow::Result<Vec<Figure>> {
    let mut out = Vec::new();
    for (i, dir) in dirs.iter().enumerate() {
        for mut f in plot::figures_for(dir).figures {
            if dirs.len() > 1 {
                f.name = format!("{}-{}", i + 1, f.name);
            }
            out.push(f);
        }
    }
    Ok(out)
}

struct Section {
    title: String,
    html: String,
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

/// One folder's section: heading, configuration, tables, figures.
fn section(i: usize, dir: &Path) -> anyhow::Result<Section> {
    if !dir.is_dir() {
        anyhow::bail!("'{}' is not a folder", dir.display());
    }
    let manifest = read_json(&dir.join("manifest.json"));
    let command = Manifest::read(dir)
        .ok()
        .flatten()
        .map_or_else(|| guess_command(dir), |m| m.command);
    let name = dir
        .file_name()
        .map_or_else(|| dir.display().to_string(), |n| n.to_string_lossy().into());
    let title = format!("{command}: {name}");
    let mut html = format!("<section id=\"run-{i}\">\n<h2>{}</h2>\n", escape(&title));
    // Figures first (people would rather look than read), then tables, then settings.
    let drawn = plot::figures_for(dir);
    for (k, f) in drawn.figures.iter().enumerate() {
        html.push_str(&figure_html(f, &format!("fig-{i}-{k}")));
    }
    for note in &drawn.skipped {
        html.push_str(&format!("<p class=\"note\">{}</p>\n", escape(note)));
    }
    for md in ["table.md", "map.md"] {
        if let Ok(text) = std::fs::read_to_string(dir.join(md)) {
            html.push_str(&format!("<h3>{md}</h3>\n"));
            html.push_str(&markdown_tables(&text));
        }
    }
    // A single training run's outcome (a map's cells are in map.md), and the chain.
    let outcome = schema::read::<TrainSummary>(dir, "summary.json")
        .ok()
        .map(|s| serde_json::to_value(s.summary).expect("summaries serialise"));
    let mut markov = read_json(&dir.join("markov.json"));
    if let Some(Value::Object(m)) = &mut markov {
        m.remove("schema");
    }
    for (file, v) in [("summary.json", outcome), ("markov.json", markov)] {
        if let Some(v) = v.filter(|v| v.is_object() && command != "sim") {
            html.push_str(&format!("<h3>{}</h3>\n", escape(file)));
            html.push_str(&definition_list(&v));
        }
    }
    let mut csvs: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    csvs.sort();
    for path in csvs {
        let file = path
            .file_name()
            .expect("a file")
            .to_string_lossy()
            .to_string();
        if file == "histogram.csv" || file == "trajectories.csv" {
            continue; // shown as figures
        }
        let t = CsvTable::read(&path)?;
        html.push_str(&format!("<h3>{}</h3>\n", escape(&file)));
        html.push_str(&csv_table(&t, &file));
    }
    if let Some(m) = &manifest {
        html.push_str("<h3>Configuration</h3>\n");
        html.push_str(&definition_list(m));
    }
    html.push_str("</section>\n");
    Ok(Section { title, html })
}

/// What a folder without a manifest holds, from its files.
fn guess_command(dir: &Path) -> String {
    let has = |f: &str| dir.join(f).is_file();
    if has("thresholds.csv") {
        "thresholds"
    } else if has("survival.csv") {
        "markov"
    } else if has("phase.csv") {
        "meanfield"
    } else {
        "output"
    }
    .into()
}

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
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

/// Removes the `width` and `height` attributes of the root `<svg>` element.
fn strip_size(svg: &str) -> String {
    let end = svg.find('>').unwrap_or(0);
    let (head, rest) = svg.split_at(end);
    let head: Vec<&str> = head
        .split(' ')
        .filter(|a| !a.starts_with("width=\"") && !a.starts_with("height=\""))
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
    }
}
