//! What the two XML parsers (the lossy hardened [`reader`](super::reader) and the
//! full-fidelity [`tree`](super::tree)) share: line counting, the document phase and the
//! structural limits checked when an element opens.

use super::reader::{Limits, MAX_DEPTH_CAP};

/// Whether `s` is only XML white space (space, tab, CR, LF).
pub(crate) fn is_xml_blank(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// Line (1-based) of byte offset `pos` in `input`.
pub(crate) fn line_at(input: &[u8], pos: usize) -> usize {
    let end = pos.min(input.len());
    1 + input
        .get(..end)
        .unwrap_or_default()
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

/// Counts lines incrementally: parsers ask for growing offsets, so each byte is scanned once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LineCursor {
    from: usize,
    line: usize,
}

impl Default for LineCursor {
    fn default() -> Self {
        LineCursor { from: 0, line: 1 }
    }
}

impl LineCursor {
    /// Line of `pos` in `input` (falls back to a full count for an earlier offset).
    pub(crate) fn line(&mut self, input: &[u8], pos: usize) -> usize {
        let pos = pos.min(input.len());
        if pos < self.from {
            return line_at(input, pos);
        }
        let added = input
            .get(self.from..pos)
            .unwrap_or_default()
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.from = pos;
        self.line += added;
        self.line
    }
}

/// Where the parser is, relative to the root element.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub(crate) enum Phase {
    /// Nothing but (optional) declaration, comments, PIs and whitespace so far.
    Prolog,
    /// Inside the root element.
    Root,
    /// The root element is closed.
    Epilog,
}

impl Phase {
    /// An element opens at nesting `depth` (open elements so far) after `elements` others:
    /// moves to [`Phase::Root`], or says which rule the document breaks.
    pub(crate) fn open_element(
        &mut self,
        depth: usize,
        elements: usize,
        limits: &Limits,
    ) -> std::result::Result<(), String> {
        match self {
            Phase::Epilog => {
                return Err(
                    "a second root element: an XML document has exactly one root".to_owned(),
                )
            }
            Phase::Prolog => *self = Phase::Root,
            Phase::Root => {}
        }
        let max_depth = limits.max_depth.min(MAX_DEPTH_CAP);
        if depth >= max_depth {
            return Err(format!("elements nested deeper than {max_depth}"));
        }
        if elements >= limits.max_elements {
            return Err(format!("more than {} elements", limits.max_elements));
        }
        Ok(())
    }
}

/// At the end of input: `open` elements still open, `elements` parsed in all. Says which
/// rule a truncated or empty document breaks.
pub(crate) fn check_end(open: usize, elements: usize) -> std::result::Result<(), String> {
    if open > 0 {
        return Err(format!(
            "document ends with {open} unclosed element(s) (truncated?)"
        ));
    }
    if elements == 0 {
        return Err("no root element".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_phases() {
        let input = b"a\nb\nc";
        let mut c = LineCursor::default();
        assert_eq!(c.line(input, 0), 1);
        assert_eq!(c.line(input, 2), 2);
        assert_eq!(c.line(input, 5), 3);
        assert_eq!(c.line(input, 1), 1);
        let limits = Limits::default();
        let mut p = Phase::Prolog;
        assert!(p.open_element(0, 0, &limits).is_ok());
        assert_eq!(p, Phase::Root);
        assert!(p
            .open_element(limits.max_depth.min(MAX_DEPTH_CAP), 1, &limits)
            .is_err());
        p = Phase::Epilog;
        assert!(p
            .open_element(0, 1, &limits)
            .unwrap_err()
            .contains("second root"));
        assert!(is_xml_blank(" \t\r\n") && !is_xml_blank(" x"));
        assert!(check_end(1, 3).unwrap_err().contains("unclosed"));
        assert!(check_end(0, 0).unwrap_err().contains("no root"));
        assert!(check_end(0, 1).is_ok());
    }
}
