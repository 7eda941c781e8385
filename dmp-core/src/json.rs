//! Reading the model from JSON.
//!
//! `serde_json` alone reports a line and column; vendors need the *field*. Errors here carry
//! the JSON path of the value (`staff[3].idnat`) plus the rule and value when a model type
//! refused it.

use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// Parses `text` into `T`, validating every value on the way in. A leading UTF-8 byte order
/// mark (written by Windows editors) is skipped; an empty text is said to be empty.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(Error::Json {
            path: ".".into(),
            line: 1,
            column: 1,
            message: "empty input: expected a JSON document".into(),
        });
    }
    let de = &mut serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        Error::Json {
            path,
            line: inner.line(),
            column: inner.column(),
            message: strip_position(&inner.to_string()),
        }
    })?;
    Ok(value)
}

/// Parses `bytes` (UTF-8) into `T`; see [`from_str`].
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    let text = std::str::from_utf8(bytes).map_err(|e| Error::Json {
        path: ".".into(),
        line: 0,
        column: 0,
        message: format!("input is not UTF-8: {e}"),
    })?;
    from_str(text)
}

/// serde_json appends " at line L column C" to its messages; we carry those separately.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Outer {
        items: Vec<Inner>,
    }
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Inner {
        n: u8,
    }

    #[test]
    fn error_names_the_path() {
        let err = from_str::<Outer>(r#"{"items":[{"n":1},{"n":"x"}]}"#).unwrap_err();
        match err {
            Error::Json { path, line, .. } => {
                assert_eq!(path, "items[1].n");
                assert_eq!(line, 1);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn non_utf8_is_an_error() {
        assert!(matches!(
            from_slice::<Outer>(b"\xff"),
            Err(Error::Json { .. })
        ));
    }

    #[test]
    fn a_byte_order_mark_is_skipped_and_empty_input_is_named() {
        let v: serde_json::Value = from_str("\u{feff}{\"a\": 1}").unwrap();
        assert_eq!(v["a"], 1);
        let v: serde_json::Value = from_slice(b"\xef\xbb\xbf[2]").unwrap();
        assert_eq!(v[0], 2);
        let e = from_str::<serde_json::Value>(" \n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "JSON at . (line 1, column 1): empty input: expected a JSON document"
        );
    }
}
