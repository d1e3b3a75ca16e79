//! The CSV files of an output folder, read back for figures and reports.

use std::path::Path;

use anyhow::{Context, bail};

/// A CSV file held as text: its header and rows (every row as long as the header).
///
/// ```
/// use vanish::output::plot::CsvTable;
/// let t = CsvTable::parse("n,p\n1,0.5\n2,nan\n").unwrap();
/// assert_eq!(t.numbers("n").unwrap(), [1.0, 2.0]);
/// assert!(t.numbers("p").unwrap()[1].is_nan());
/// assert!(t.numbers("q").is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CsvTable {
    /// Column names.
    pub header: Vec<String>,
    /// The rows, as text.
    pub rows: Vec<Vec<String>>,
}

impl CsvTable {
    /// Reads `path`.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("reading {}", path.display()))
    }

    /// Parses CSV text with a header line.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader.headers()?.iter().map(String::from).collect();
        let mut rows = Vec::new();
        for r in reader.records() {
            let r = r?;
            rows.push(r.iter().map(String::from).collect());
        }
        Ok(CsvTable { header, rows })
    }

    /// The index of column `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// Column `name` as text.
    pub fn text(&self, name: &str) -> anyhow::Result<Vec<&str>> {
        let Some(c) = self.column_index(name) else {
            bail!("no column '{name}'");
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
}
