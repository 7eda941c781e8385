//! A small RFC 4180 CSV reader for the embedded and loadable data tables.
//!
//! The tables are small (a few thousand lines) and their format is fixed, so a 60-line reader
//! beats a dependency. Quoted fields, doubled quotes, CRLF and a UTF-8 BOM are handled;
//! anything else malformed is an error naming the line.

use crate::error::{Error, Result};

/// One parsed table: a header and its records, each record as long as the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Column names, from the first line.
    pub header: Vec<String>,
    /// Records with their 1-based line number in the source.
    pub rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    /// Index of column `name`, or an error naming the table and the missing column.
    pub fn column(&self, source_name: &str, name: &str) -> Result<usize> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| Error::data(source_name, 1, format!("missing column `{name}`")))
    }
}

/// Parses `text` as CSV with a header line. `source_name` names the table in errors.
pub fn parse(source_name: &str, text: &str) -> Result<Table> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records: Vec<(usize, Vec<String>)> = Vec::new();
    let mut field = String::new();
    let mut record: Vec<String> = Vec::new();
    let mut in_quotes = false;
    let mut line = 1usize;
    let mut record_line = 1usize;
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => in_quotes = true,
            '"' => {
                return Err(Error::data(
                    source_name,
                    line,
                    "quote inside an unquoted field",
                ))
            }
            ',' => record.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                records.push((record_line, std::mem::take(&mut record)));
                line += 1;
                record_line = line;
                any = false;
            }
            _ => field.push(c),
        }
    }
    if in_quotes {
        return Err(Error::data(
            source_name,
            record_line,
            "unterminated quoted field",
        ));
    }
    if any {
        record.push(field);
        records.push((record_line, record));
    }
    // Blank lines carry no record.
    records.retain(|(_, r)| !(r.len() == 1 && r[0].is_empty()));
    let mut iter = records.into_iter();
    let (_, header) = iter
        .next()
        .ok_or_else(|| Error::data(source_name, 0, "empty table: no header line"))?;
    let rows: Vec<(usize, Vec<String>)> = iter.collect();
    for (n, r) in &rows {
        if r.len() != header.len() {
            return Err(Error::data(
                source_name,
                *n,
                format!("{} fields, the header has {}", r.len(), header.len()),
            ));
        }
    }
    Ok(Table { header, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_and_crlf() {
        let t = parse(
            "t",
            "\u{feff}a,b\r\n\"x, \"\"y\"\"\",2\r\n\n3,\"multi\nline\"\n",
        )
        .unwrap();
        assert_eq!(t.header, vec!["a", "b"]);
        assert_eq!(
            t.rows[0],
            (2, vec!["x, \"y\"".to_string(), "2".to_string()])
        );
        assert_eq!(
            t.rows[1],
            (4, vec!["3".to_string(), "multi\nline".to_string()])
        );
    }

    #[test]
    fn ragged_rows_are_errors_with_line() {
        let e = parse("t", "a,b\n1,2\n3\n").unwrap_err();
        assert_eq!(e, Error::data("t", 3, "1 fields, the header has 2"));
        assert!(parse("t", "a\n\"open\n").is_err());
        assert!(parse("t", "").is_err());
        assert!(parse("t", "a,b\nx\"y,1\n").is_err());
    }
}
