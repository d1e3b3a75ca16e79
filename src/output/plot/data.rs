//! The CSV files of an output folder, read back for figures and reports. Reading the text
//! ([`CsvTable::parse`]) is apart from reading the file ([`CsvTable::read`]), and every
//! error names the file and the line.

use std::path::Path;

use anyhow::{Context, bail};

use super::range::LIMIT;

/// A CSV file held as text: its header and rows (every row as long as the header), and the
/// name of the file it came from (for messages).
///
/// ```
/// use vanish::output::plot::CsvTable;
/// let t = CsvTable::parse("n,p\n1,0.5\n2,nan\n").unwrap();
/// assert_eq!(t.numbers("n").unwrap(), [1.0, 2.0]);
/// assert!(t.numbers("p").unwrap()[1].is_nan());
/// assert!(t.numbers("q").is_err());
/// assert_eq!(t.finite("n").unwrap(), [1.0, 2.0]);
/// let e = t.finite("p").unwrap_err().to_string();
/// assert_eq!(e, "line 3: p is 'nan'; a number from -1e15 to 1e15 is needed");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CsvTable {
    /// Column names.
    pub header: Vec<String>,
    /// The rows, as text.
    pub rows: Vec<Vec<String>>,
    /// The file's name (`table.csv`), empty for text that came from no file.
    pub file: String,
}

impl CsvTable {
    /// Reads `path` (an error names it, and the line at fault).
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = crate::output::files::read_text(path)
            .with_context(|| format!("reading {}", path.display()))?;
        let mut t = Self::parse(&text).with_context(|| format!("reading {}", path.display()))?;
        t.file = path.display().to_string();
        Ok(t)
    }

    /// Parses CSV text with a header line (rows of another length than the header are
    /// refused, naming the line).
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader.headers()?.iter().map(String::from).collect();
        let mut rows = Vec::new();
        for r in reader.records() {
            let r = r?;
            rows.push(r.iter().map(String::from).collect());
        }
        Ok(CsvTable {
            header,
            rows,
            file: String::new(),
        })
    }

    /// The index of column `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// Where row `i` is, for messages: `table.csv line 3` (the header is line 1).
    pub fn line(&self, i: usize) -> String {
        if self.file.is_empty() {
            format!("line {}", i + 2)
        } else {
            format!("{} line {}", self.file, i + 2)
        }
    }

    /// Column `name` as text.
    pub fn text(&self, name: &str) -> anyhow::Result<Vec<&str>> {
        let Some(c) = self.column_index(name) else {
            if self.file.is_empty() {
                bail!("no column '{name}'");
            }
            bail!("{} has no column '{name}'", self.file);
        };
        Ok(self.rows.iter().map(|r| r[c].as_str()).collect())
    }

    /// Column `name` as numbers: empty cells and words that are not numbers are NaN
    /// (`inf` and `nan` read as such).
    pub fn numbers(&self, name: &str) -> anyhow::Result<Vec<f64>> {
        Ok(self
            .text(name)?
            .into_iter()
            .map(|t| t.trim().parse().unwrap_or(f64::NAN))
            .collect())
    }

    /// Column `name` as numbers a figure can show (finite, within ±[`LIMIT`]): a cell
    /// that is not one is refused, naming its line.
    pub fn finite(&self, name: &str) -> anyhow::Result<Vec<f64>> {
        let values = self.numbers(name)?;
        if let Some(i) = values.iter().position(|v| v.is_nan() || v.abs() > LIMIT) {
            bail!(
                "{}: {name} is '{}'; a number from -1e15 to 1e15 is needed",
                self.line(i),
                self.rows[i][self.column_index(name).expect("a column")].trim()
            );
        }
        Ok(values)
    }
}
