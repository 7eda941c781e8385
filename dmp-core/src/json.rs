//! Reading the model from JSON.
//!
//! `serde_json` alone reports a line and column; vendors need the *field*. Errors here carry
//! the JSON path of the value (`staff[3].idnat`) plus the rule and value when a model type
//! refused it.

use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// Parses `text` into `T`, validating every value on the way in.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T> {
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
}
